/** One `at …` line of a V8 stack: its file, line and column. */
const FRAME = /\(?([^()\s]+):(\d+):(\d+)\)?$/;

/**
 * The outermost place in the bundled module that is running now, as
 * `line:column`: for a job defined at a project file's top level, the
 * statement that defines it.
 */
export function definitionSite(): string | undefined {
  const frames = (new Error().stack ?? '')
    .split('\n')
    .slice(1)
    .flatMap((text) => {
      const match = FRAME.exec(text.trim());
      return match === null
        ? []
        : [{ file: match[1], line: Number(match[2]), column: match[3] }];
    });
  // This function's own frame names the bundle; frames of other files
  // belong to whatever called into it.
  const bundle = frames[0]?.file;
  const inBundle = frames.filter((frame) => frame.file === bundle);
  // The loader wraps the module and calls it from the bundle's last line.
  const wrapperLine = Math.max(...inBundle.map((frame) => frame.line));
  const outermost = inBundle
    .filter((frame) => frame.line !== wrapperLine)
    .at(-1);
  return outermost === undefined
    ? undefined
    : `${outermost.line}:${outermost.column}`;
}
