// A MariaDB connection the server has closed is never lent again. After a statement over
// max_allowed_packet (1153) the server sends the error, then drops the connection; mysql2 has not
// seen the close yet when the connection goes back to the pool, and the next call on it failed
// with ECONNRESET. Every statement's error is read on its connection: one that means the server
// dropped it ends the connection at once, which Sequelize's pool validation then discards.
import { driverError } from './sequelize-internals';

type Callback = (error: unknown, ...rest: unknown[]) => void;

/** The part of a mysql2 connection this needs: its two statement calls, and destroy (which marks it closing). */
export interface DroppableConnection {
  query(...args: unknown[]): unknown;
  execute(...args: unknown[]): unknown;
  destroy(): void;
  once(event: 'end', listener: () => void): unknown;
}

/** True when the server has closed, or is closing, the connection after this error. */
export function closesConnection(error: unknown): boolean {
  const cause = driverError(error) as { errno?: unknown; sqlState?: unknown; fatal?: unknown } | undefined;
  // 08: SQLSTATE connection exception (1153 reports 08S01); `fatal`: mysql2's own mark for a dead connection.
  return cause?.errno === 1153 || cause?.fatal === true || (typeof cause?.sqlState === 'string' && cause.sqlState.startsWith('08'));
}

/** Makes every statement on `connection` (ours and Sequelize's) end it when its error means the server dropped it. */
export function destroyWhenDropped(connection: DroppableConnection): void {
  for (const method of ['query', 'execute'] as const) {
    const original = connection[method].bind(connection);
    connection[method] = (...args: unknown[]) => {
      const last = args.length - 1;
      const callback = args[last];
      if (typeof callback === 'function') {
        args[last] = (error: unknown, ...rest: unknown[]) => {
          if (error && closesConnection(error)) connection.destroy();
          (callback as Callback)(error, ...rest);
        };
      }
      return original(...args);
    };
  }
  // Closed between statements (idle timeout, server restart): not lent again either.
  connection.once('end', () => connection.destroy());
}
