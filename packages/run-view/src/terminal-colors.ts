/**
 * The 16 colours of SGR 30-37 and 90-97 (and of the 256-colour palette's
 * first 16), lightened where the usual values vanish on a dark
 * background: black is a mid grey, blue a light one.
 */
const BASIC_COLOURS = [
  '#5c6370', // black
  '#e06c75', // red
  '#98c379', // green
  '#e5c07b', // yellow
  '#61afef', // blue
  '#c678dd', // magenta
  '#56b6c2', // cyan
  '#d7dae0', // white
  '#7f848e', // bright black
  '#ff7b86', // bright red
  '#b5e890', // bright green
  '#f0d197', // bright yellow
  '#8cc8ff', // bright blue
  '#e29ef5', // bright magenta
  '#7fd4de', // bright cyan
  '#ffffff', // bright white
] as const;

/** The six levels of each primary in the 6x6x6 colour cube (16-231). */
const CUBE_LEVELS = [0, 95, 135, 175, 215, 255] as const;

/** A CSS colour `#rrggbb` from its primaries, each clamped to 0-255. */
export function rgbColour(red: number, green: number, blue: number): string {
  return `#${hex(red)}${hex(green)}${hex(blue)}`;
}

/**
 * Colour `index` (0-255) of the 256-colour palette as a CSS colour, or
 * `undefined` outside the palette: the 16 basic colours, the colour cube,
 * then 24 greys.
 */
export function paletteColour(index: number): string | undefined {
  if (!Number.isInteger(index) || index < 0 || index > 255) {
    return undefined;
  }
  if (index < 16) {
    return BASIC_COLOURS[index];
  }
  if (index < 232) {
    const cube = index - 16;
    return rgbColour(
      CUBE_LEVELS[Math.floor(cube / 36)] ?? 0,
      CUBE_LEVELS[Math.floor(cube / 6) % 6] ?? 0,
      CUBE_LEVELS[cube % 6] ?? 0,
    );
  }
  const grey = 8 + (index - 232) * 10;
  return rgbColour(grey, grey, grey);
}

function hex(value: number): string {
  const clamped = Math.min(255, Math.max(0, Math.round(value) || 0));
  return clamped.toString(16).padStart(2, '0');
}
