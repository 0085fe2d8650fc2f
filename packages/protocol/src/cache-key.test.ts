import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  type CacheKeyInput,
  cacheKeyOf,
  cacheKeyParts,
  describeKeyChanges,
  taskIdentityOf,
} from './cache-key.js';
import type { FileRef } from './schemas/common.js';
import type { TaskSpec } from './schemas/task.js';

const digest = (text: string) =>
  createHash('sha256').update(text).digest('hex');

const SECRET_VALUE = 'tok-5b1e0c9d77a2f4';

function baseSpec(): TaskSpec {
  return {
    command: 'make lib',
    env: { CFLAGS: '-O2', LANG: 'C' },
    cwd: 'build',
    timeoutMs: 60_000,
    inputs: [
      { path: 'src/a.c', digest: digest('a'), size: 1, mode: 0o644 },
      { path: 'src/b.c', digest: digest('b'), size: 1, mode: 0o644 },
    ],
    outputs: ['build/lib.a', 'build/lib.h'],
    pool: 'default',
    maxAttempts: 1,
    runner: 'bwrap',
    labels: ['x86', 'linux'],
    secrets: ['TOKEN'],
  };
}

function baseInput(): CacheKeyInput {
  return {
    codeDigest: digest('bundle'),
    spec: baseSpec(),
    secretVersions: { TOKEN: '7' },
    salt: '',
  };
}

/** The base input with `patch` over it, and `spec` over its spec. */
function changed(
  patch: Partial<CacheKeyInput>,
  spec: Partial<TaskSpec> = {},
): CacheKeyInput {
  const input = { ...baseInput(), ...patch };
  return { ...input, spec: { ...input.spec, ...spec } };
}

/** The base spec with one field replaced. */
const spec = (fields: Partial<TaskSpec>) => changed({}, fields);

/** The base spec with `env` instead of its environment. */
const env = (fields: Record<string, string>) => spec({ env: fields });

/** The base spec with its first input changed by `patch`. */
function firstInput(patch: Partial<FileRef>): CacheKeyInput {
  const [first, ...rest] = baseSpec().inputs as [FileRef, ...FileRef[]];
  return spec({ inputs: [{ ...first, ...patch }, ...rest] });
}

/** The base input with no runner named: the sandbox's default. */
function withoutRunner(): CacheKeyInput {
  const { runner: _runner, ...rest } = baseSpec();
  return changed({ spec: rest });
}

const keyOf = (input: CacheKeyInput) => cacheKeyOf(cacheKeyParts(input));

const BASE_KEY = keyOf(baseInput());

describe('a task cache key', () => {
  const relevant: [string, CacheKeyInput][] = [
    ['the salt', changed({ salt: 'other' })],
    ['the job code', changed({ codeDigest: digest('changed') })],
    ['the command', spec({ command: 'make lib V=1' })],
    ['the command as an argument vector', spec({ command: ['make', 'lib'] })],
    ['the working directory', spec({ cwd: '' })],
    ['an env value', env({ CFLAGS: '-O0', LANG: 'C' })],
    ['another env value', env({ CFLAGS: '-O2', LANG: 'C.UTF-8' })],
    ['an env variable added', env({ CFLAGS: '-O2', LANG: 'C', X: '' })],
    ['an env variable removed', env({ CFLAGS: '-O2' })],
    ["an input's content", firstInput({ digest: digest('a2') })],
    ["an input's mode", firstInput({ mode: 0o755 })],
    ["an input's path", firstInput({ path: 'src/c.c' })],
    ['an input removed', spec({ inputs: baseSpec().inputs.slice(1) })],
    ['the outputs', spec({ outputs: ['build/lib.a'] })],
    // A result's files come back in the order the outputs were declared.
    ['the order of outputs', spec({ outputs: baseSpec().outputs.reverse() })],
    ['the runner', spec({ runner: 'docker' })],
    ['no runner named', withoutRunner()],
    ['the image', spec({ image: 'alpine:3' })],
    ['the network', spec({ network: true })],
    ['the labels', spec({ labels: ['x86'] })],
    ["a secret's version", changed({ secretVersions: { TOKEN: '8' } })],
    ['a secret left unset', changed({ secretVersions: {} })],
    ['a secret granted', spec({ secrets: ['TOKEN', 'OTHER'] })],
  ];

  it.each(relevant)('changes with %s', (_what, input) => {
    expect(keyOf(input)).not.toBe(BASE_KEY);
  });

  const irrelevant: [string, CacheKeyInput][] = [
    ['the timeout', spec({ timeoutMs: 1 })],
    ['the pool', spec({ pool: 'gpu' })],
    ['the attempts', spec({ maxAttempts: 5 })],
    ['the retry policy', spec({ retry: { delayMs: 10, onExitCodes: [75] } })],
    ['the limits', spec({ limits: { memoryMb: 64, processes: 8 } })],
    ['the resources', spec({ resources: { cpus: 2, memoryMb: 512 } })],
    ['the order of inputs', spec({ inputs: baseSpec().inputs.reverse() })],
    ['the order of labels', spec({ labels: ['linux', 'x86'] })],
    ['the order of env variables', env({ LANG: 'C', CFLAGS: '-O2' })],
    ["an input's size alone", firstInput({ size: 99 })],
    ['network off said out loud', spec({ network: false })],
  ];

  it.each(irrelevant)('stays the same with %s', (_what, input) => {
    expect(keyOf(input)).toBe(BASE_KEY);
  });

  it('leaves the task name to the identity, which the key is not', () => {
    const identity = taskIdentityOf('clib', 'build', 'make');

    expect(taskIdentityOf('clib', 'build', 'make')).toBe(identity);
    for (const other of [
      taskIdentityOf('clib', 'build', 'cc'),
      taskIdentityOf('clib', 'test', 'make'),
      taskIdentityOf('other', 'build', 'make'),
      // No joining of names can stand for another triple.
      taskIdentityOf('clib', 'buil', 'dmake'),
    ]) {
      expect(other).not.toBe(identity);
    }
    expect(Object.values(cacheKeyParts(baseInput()))).not.toContain(identity);
  });

  it('takes in no environment variable but the declared ones', () => {
    const before = cacheKeyParts(baseInput());
    process.env.RIVER_CACHE_KEY_TEST_LEAK = 'leaked';
    try {
      const after = cacheKeyParts(baseInput());
      expect(after).toEqual(before);
      expect(
        Object.keys(after).filter((name) => name.startsWith('env ')),
      ).toEqual(['env CFLAGS', 'env LANG']);
    } finally {
      delete process.env.RIVER_CACHE_KEY_TEST_LEAK;
    }
  });

  it('holds neither a secret value nor its digest', () => {
    const input = baseInput();
    const parts = cacheKeyParts(input);
    const text = JSON.stringify(parts) + cacheKeyOf(parts);

    expect(text).not.toContain(SECRET_VALUE);
    expect(text).not.toContain(digest(SECRET_VALUE));
    expect(text).not.toContain(digest(`TOKEN ${SECRET_VALUE}`));
    // The version stands for the value: the same version, the same part.
    expect(parts['secret TOKEN']).toBe(digest('TOKEN 7'));
  });
});

describe('explaining a changed key', () => {
  it('names each part that was changed, added or removed', () => {
    const before = cacheKeyParts(baseInput());
    const input = baseInput();
    input.codeDigest = digest('new code');
    input.spec.env.CFLAGS = '-O0';
    input.spec.env.DEBUG = '1';
    delete input.spec.env.LANG;
    (input.spec.inputs[1] as { digest: string }).digest = digest('b2');
    input.spec.inputs.push({
      path: 'src/c.c',
      digest: digest('c'),
      size: 1,
      mode: 0o644,
    });
    input.secretVersions = { TOKEN: '9' };
    const after = cacheKeyParts(input);

    expect(describeKeyChanges(before, after)).toEqual([
      'env CFLAGS changed',
      'env DEBUG added',
      'env LANG removed',
      'input src/b.c changed',
      'input src/c.c added',
      'job code changed',
      'secret TOKEN changed',
    ]);
  });

  it('names nothing when nothing changed', () => {
    const parts = cacheKeyParts(baseInput());
    expect(describeKeyChanges(parts, cacheKeyParts(baseInput()))).toEqual([]);
  });

  it('names the salt, command, runner and outputs by their part', () => {
    const before = cacheKeyParts(baseInput());
    const input = baseInput();
    input.salt = 'x';
    input.spec.command = 'make';
    input.spec.network = true;
    input.spec.outputs = [];
    input.spec.cwd = 'src';

    expect(describeKeyChanges(before, cacheKeyParts(input))).toEqual([
      'command changed',
      'cwd changed',
      'outputs changed',
      'runner changed',
      'salt changed',
    ]);
  });
});
