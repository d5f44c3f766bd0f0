// The registry and @Task: dotted names, per-task defaults, duplicates, and module-path resolution
// that never leaves the configured root.
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Task, TaskOptions } from '../../decorators/index';
import { DuplicateTaskError, TaskRegistry, UnknownTaskError, ValidationError, taskNameOf } from '../../lib/index';

describe('registry and @Task', () => {
  it('registers each public method of a class under namespace.method, with defaults', async () => {
    const registry = new TaskRegistry();
    @Task('app.tasks', { registry, timeout: 60, queue: 'math' })
    class AppTasks {
      factor = 10;
      multiply(a: number, b: number) {
        return a * b * this.factor / 10;
      }
      @TaskOptions({ timeout: 5, maxRetries: 3, priority: -1 })
      slow() {
        return 'slow';
      }
      _helper() {
        return 'not a task';
      }
    }
    expect(registry.names()).to.deep.equal(['app.tasks.multiply', 'app.tasks.slow']);
    expect(registry.get('app.tasks.multiply')!.defaults).to.deep.equal({ timeout: 60, queue: 'math' });
    expect(registry.get('app.tasks.slow')!.defaults).to.deep.equal({ timeout: 5, queue: 'math', maxRetries: 3, priority: -1 });
    expect(await registry.get('app.tasks.multiply')!.handler(6, 7)).to.equal(42);
    expect(taskNameOf(AppTasks, 'multiply')).to.equal('app.tasks.multiply');
  });

  it('uses the class name when no namespace is given', () => {
    const registry = new TaskRegistry();
    @Task({ registry })
    class Reports {
      build() {
        return 1;
      }
    }
    expect(registry.names()).to.deep.equal(['Reports.build']);
    expect(taskNameOf(Reports, 'build')).to.equal('Reports.build');
  });

  it('rejects a duplicate name at registration', () => {
    const registry = new TaskRegistry();
    registry.register('a.b', () => 1);
    expect(() => registry.register('a.b', () => 2)).to.throw(DuplicateTaskError, /already registered/);
  });

  it('rejects bad names and bad defaults at registration', () => {
    const registry = new TaskRegistry();
    expect(() => registry.register('a..b', () => 1)).to.throw(ValidationError, /dot-separated identifiers/);
    expect(() => registry.register('../etc', () => 1)).to.throw(ValidationError);
    expect(() => registry.register('a.b', () => 1, { timeout: -1 })).to.throw(ValidationError, /timeout must be a number of seconds above 0/);
    expect(() => registry.register('a.c', () => 1, { queue: 'bad queue' })).to.throw(ValidationError, /queue must be/);
    expect(registry.size).to.equal(0);
  });

  describe('module paths under a root', () => {
    let root: string;
    let outside: string;
    before(() => {
      root = mkdtempSync(path.join(os.tmpdir(), 'tw-root-'));
      outside = mkdtempSync(path.join(os.tmpdir(), 'tw-outside-'));
      mkdirSync(path.join(root, 'app'));
      writeFileSync(path.join(root, 'app', 'tasks.js'), 'exports.add = (a, b) => a + b; exports.notAFunction = 3;');
      writeFileSync(path.join(root, 'app', 'fnmod.js'), 'module.exports = function run() { return "run"; };');
      writeFileSync(path.join(root, 'app', 'inherits.js'), 'module.exports = Object.create({ inherited: () => "from the prototype" });');
      writeFileSync(path.join(outside, 'secret.js'), 'exports.run = () => "escaped";');
      symlinkSync(path.join(outside, 'secret.js'), path.join(root, 'app', 'link.js'));
      mkdirSync(path.join(root, 'node_modules', 'pkg'), { recursive: true });
      writeFileSync(path.join(root, 'node_modules', 'pkg', 'index.js'), 'exports.run = () => "dependency";');
    });

    it("resolves 'app.tasks.add' to the export add of app/tasks.js", async () => {
      const registry = new TaskRegistry();
      expect(registry.isKnown('app.tasks.add', root)).to.equal(true);
      expect(await registry.resolve('app.tasks.add', root).handler(2, 3)).to.equal(5);
    });

    it('refuses names outside the root, through symlinks or into node_modules', () => {
      const registry = new TaskRegistry();
      for (const name of ['app.link.run', 'node_modules.pkg.run', 'pkg.run', 'app.tasks.notAFunction', 'app.missing.add']) {
        expect(() => registry.resolve(name, root), name).to.throw(UnknownTaskError);
      }
      expect(registry.isKnown('app.link.run', root)).to.equal(false);
    });

    it('resolves only functions the module itself exports: never toString, constructor or another inherited member', () => {
      const registry = new TaskRegistry();
      const inherited = ['app.tasks.toString', 'app.tasks.hasOwnProperty', 'app.tasks.valueOf', 'app.tasks.__lookupGetter__',
        'app.tasks.constructor', 'app.fnmod.constructor', 'app.fnmod.call', 'app.fnmod.bind', 'app.inherits.inherited'];
      for (const name of inherited) {
        expect(() => registry.resolve(name, root), name).to.throw(UnknownTaskError);
      }
      // What a create checks, without importing: every member all objects and functions inherit.
      for (const name of inherited.slice(0, -1)) expect(registry.isKnown(name, root), name).to.equal(false);
      expect(() => registry.resolve('app.fnmod.constructor', root)).to.throw(UnknownTaskError, /inherits, never a task/);
    });

    it('keeps what a root resolved to that root: a caller with no root (or another) never gets it', async () => {
      const registry = new TaskRegistry();
      expect(await registry.resolve('app.tasks.add', root).handler(1, 1)).to.equal(2);
      expect(registry.get('app.tasks.add')).to.equal(undefined);
      expect(registry.isKnown('app.tasks.add', undefined)).to.equal(false);
      expect(() => registry.resolve('app.tasks.add', undefined)).to.throw(UnknownTaskError);
      expect(() => registry.resolve('app.tasks.add', outside)).to.throw(UnknownTaskError);
    });

    it('without a root, only registered names resolve', () => {
      expect(() => new TaskRegistry().resolve('app.tasks.add', undefined)).to.throw(UnknownTaskError, /register it with @Task/);
    });
  });
});
