// Renders a Mandelbrot set as RGB pixels: a CPU-bound job, the kind of work that belongs in a
// worker thread rather than on the web server's event loop.

const MAX_ITERATIONS = 200;

export function renderMandelbrot(width: number, height: number): Uint8Array {
  const pixels = new Uint8Array(width * height * 3);
  for (let py = 0; py < height; py++) {
    for (let px = 0; px < width; px++) {
      const x0 = (px / width) * 3.5 - 2.5;
      const y0 = (py / height) * 2.4 - 1.2;
      let x = 0;
      let y = 0;
      let i = 0;
      while (x * x + y * y <= 4 && i < MAX_ITERATIONS) {
        const next = x * x - y * y + x0;
        y = 2 * x * y + y0;
        x = next;
        i++;
      }
      // Black inside the set; outside, a smooth palette by escape time.
      const t = i === MAX_ITERATIONS ? 0 : Math.sqrt(i / MAX_ITERATIONS);
      const at = (py * width + px) * 3;
      pixels[at] = Math.min(255, Math.floor(9 * (1 - t) * t ** 3 * 255 * 1.5));
      pixels[at + 1] = Math.min(255, Math.floor(15 * (1 - t) ** 2 * t ** 2 * 255));
      pixels[at + 2] = Math.min(255, Math.floor(8.5 * (1 - t) ** 3 * t * 255 * 1.5));
    }
  }
  return pixels;
}
