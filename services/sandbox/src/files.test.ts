import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Buckets, type FileRef } from '@river/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, sha256, startHarness } from './testing/harness.js';

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness();
});

afterAll(async () => {
  await harness?.close();
});

async function storedBytes(digest: string): Promise<Buffer | null> {
  const store = await harness.client.objm.open(Buckets.artifacts);
  const data = await store.getBlob(digest);
  return data === null ? null : Buffer.from(data);
}

describe('task files', () => {
  it('stores declared outputs and places them as inputs with their modes', async () => {
    const [, produced] = await harness.run({
      command:
        'mkdir -p out/sub && printf hello > out/a.txt && ' +
        "printf '#!/bin/sh\\necho tool ran\\n' > out/sub/tool.sh && " +
        'chmod 640 out/a.txt && chmod 755 out/sub/tool.sh && ' +
        'printf single > one.txt && chmod 600 one.txt',
      outputs: ['out', 'one.txt'],
    });

    expect(produced.outcome.ok).toBe(true);
    const files = [...produced.outcome.files].sort((a, b) =>
      a.path.localeCompare(b.path),
    );
    expect(files).toEqual([
      { path: 'one.txt', digest: sha256('single'), size: 6, mode: 0o600 },
      { path: 'out/a.txt', digest: sha256('hello'), size: 5, mode: 0o640 },
      {
        path: 'out/sub/tool.sh',
        digest: sha256('#!/bin/sh\necho tool ran\n'),
        size: 24,
        mode: 0o755,
      },
    ]);
    expect((await storedBytes(sha256('hello')))?.toString()).toBe('hello');

    const inputs = files.map((file) => ({ ...file, path: `in/${file.path}` }));
    const [, consumed] = await harness.run({
      command:
        './in/out/sub/tool.sh && cat in/out/a.txt && echo && ' +
        'stat -c "%a %n" in/one.txt in/out/a.txt in/out/sub/tool.sh',
      inputs,
    });

    expect(consumed.outcome.exitCode).toBe(0);
    expect(consumed.outcome.stdout).toBe(
      'tool ran\nhello\n600 in/one.txt\n640 in/out/a.txt\n' +
        '755 in/out/sub/tool.sh\n',
    );
  });

  it('reports an output that is stored already without sending it again', async () => {
    const [, first] = await harness.run({
      command: 'printf same > a.txt',
      outputs: ['a.txt'],
    });
    const store = await harness.client.objm.open(Buckets.artifacts);
    const before = await store.info(sha256('same'));

    const [, second] = await harness.run({
      command: 'printf same > b.txt && chmod 644 b.txt',
      outputs: ['b.txt'],
    });
    const after = await store.info(sha256('same'));

    expect(first.outcome.files[0]?.digest).toBe(sha256('same'));
    expect(second.outcome.files).toEqual([
      { path: 'b.txt', digest: sha256('same'), size: 4, mode: 0o644 },
    ]);
    expect(after?.revision).toBe(before?.revision);
  });

  it('runs the command in its working directory, creating it', async () => {
    const [, result] = await harness.run({
      command: 'pwd; printf x > made-here',
      cwd: 'deep/work/dir',
      outputs: ['deep/work/dir/made-here'],
    });

    expect(result.outcome.ok).toBe(true);
    expect(result.outcome.stdout.trim().endsWith('/deep/work/dir')).toBe(true);
    expect(result.outcome.files.map((file) => file.path)).toEqual([
      'deep/work/dir/made-here',
    ]);
  });

  it('refuses an input path that escapes the workspace', async () => {
    const digest = await harness.storeArtifact(Buffer.from('escape'));
    const input = (path: string): FileRef => ({
      path,
      digest,
      size: 6,
      mode: 0o644,
    });

    const [, upward] = await harness.run({
      command: 'echo ran',
      inputs: [input('ok.txt'), input('../escaped.txt')],
    });
    const [, absolute] = await harness.run({
      command: 'echo ran',
      inputs: [input(join(harness.workDir, 'absolute.txt'))],
    });

    expect(upward.outcome).toMatchObject({
      ok: false,
      reason: 'input-failed',
      exitCode: null,
      stdout: '',
    });
    expect(upward.outcome.message).toContain('../escaped.txt');
    expect(absolute.outcome.reason).toBe('input-failed');
    expect(absolute.outcome.message).toContain('absolute.txt');
    expect(existsSync(join(harness.workDir, 'escaped.txt'))).toBe(false);
    expect(existsSync(join(dirname(harness.workDir), 'escaped.txt'))).toBe(
      false,
    );
    expect(existsSync(join(harness.workDir, 'absolute.txt'))).toBe(false);
  });

  it('refuses a working directory that escapes the workspace', async () => {
    const [, result] = await harness.run({ command: 'pwd', cwd: '../..' });

    expect(result.outcome.reason).toBe('input-failed');
    expect(result.outcome.message).toContain('../..');
  });

  it('fails an input that is missing from the store or does not match', async () => {
    const digest = await harness.storeArtifact(Buffer.from('twelve bytes'));

    const [, missing] = await harness.run({
      inputs: [
        { path: 'gone', digest: sha256('nothing'), size: 7, mode: 0o644 },
      ],
    });
    const [, wrongSize] = await harness.run({
      inputs: [{ path: 'short', digest, size: 11, mode: 0o644 }],
    });

    expect(missing.outcome.reason).toBe('input-failed');
    expect(missing.outcome.message).toContain('gone');
    expect(wrongSize.outcome.reason).toBe('input-failed');
    expect(wrongSize.outcome.message).toContain('short');
    expect(wrongSize.outcome.message).toContain('12 bytes');
  });

  it('fails the attempt when a declared output is missing', async () => {
    const [, result] = await harness.run({
      command: 'printf here > present.txt',
      outputs: ['present.txt', 'absent/report.xml'],
    });

    expect(result.outcome).toMatchObject({
      ok: false,
      reason: 'output-failed',
      exitCode: 0,
      files: [],
    });
    expect(result.outcome.message).toContain('absent/report.xml');
  });

  it('refuses outputs that lead out of the workspace', async () => {
    const [, link] = await harness.run({
      command: 'ln -s /etc/passwd stolen',
      outputs: ['stolen'],
    });
    const [, upward] = await harness.run({ outputs: ['../x'] });

    expect(link.outcome.reason).toBe('output-failed');
    expect(link.outcome.message).toContain('stolen');
    expect(upward.outcome.reason).toBe('output-failed');
    expect(upward.outcome.message).toContain('../x');
  });

  it('skips links inside an output directory', async () => {
    const [, result] = await harness.run({
      command: 'mkdir d && printf k > d/kept && ln -s /etc/passwd d/link',
      outputs: ['d'],
    });

    expect(result.outcome.ok).toBe(true);
    expect(result.outcome.files.map((file) => file.path)).toEqual(['d/kept']);
  });

  it('stores a large output intact', async () => {
    const size = 3 * 1024 * 1024 + 17;
    const [, result] = await harness.run({
      command: `head -c ${size} /dev/urandom > big.bin`,
      outputs: ['big.bin'],
    });

    const [file] = result.outcome.files;
    expect(result.outcome.ok).toBe(true);
    expect(file?.size).toBe(size);
    const stored = await storedBytes(file?.digest ?? '');
    expect(stored?.length).toBe(size);
    expect(sha256(stored ?? Buffer.alloc(0))).toBe(file?.digest);
  });
});
