import { readFile } from 'node:fs/promises';
import { MAX_SECRET_VALUE_BYTES } from '@river/protocol/internal';

/**
 * Reads the value `river secret set` stores: a file's bytes as they are,
 * or standard input without its one final line break (what `echo` or a
 * here-string adds). Never from the command line, where other users of
 * the machine could read it in the process list.
 *
 * @throws Error naming the source when it cannot be read, is a terminal,
 *   is too large or is not UTF-8 text.
 */
export async function readSecretValue(
  name: string,
  fromFile: string | undefined,
): Promise<string> {
  if (fromFile !== undefined) {
    let bytes: Buffer;
    try {
      bytes = await readFile(fromFile);
    } catch (error) {
      throw new Error(
        `Cannot read the value of secret ${name} from ${fromFile}: ` +
          `${(error as Error).message}.`,
      );
    }
    return utf8(bytes, name, fromFile);
  }

  if (process.stdin.isTTY) {
    throw new Error(
      `river secret set ${name} reads the value from standard input, ` +
        'which is a terminal here: pipe it in (printf %s "$VALUE" | river ' +
        `secret set ${name}) or use --from-file <path>.`,
    );
  }
  const text = utf8(await readStdin(name), name, 'standard input');
  return text.replace(/\r?\n$/, '');
}

async function readStdin(name: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of process.stdin) {
    const data = chunk as Buffer;
    bytes += data.length;
    // A little over the limit, so that the sealing names the real size.
    if (bytes > MAX_SECRET_VALUE_BYTES + 2) {
      throw new Error(
        `The value of secret ${name} on standard input is over the ` +
          `${MAX_SECRET_VALUE_BYTES} bytes a secret may hold.`,
      );
    }
    chunks.push(data);
  }
  return Buffer.concat(chunks);
}

function utf8(bytes: Buffer, name: string, source: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(
      bytes,
    );
  } catch {
    throw new Error(
      `The value of secret ${name} in ${source} is not UTF-8 text; a ` +
        'secret becomes an environment variable, so it must be text ' +
        '(encode binary data, for example with base64).',
    );
  }
}
