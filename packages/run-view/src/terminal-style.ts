/**
 * Text styles as SGR (Select Graphic Rendition) sequences set them, in
 * CSS terms.
 */
import { paletteColour, rgbColour } from './terminal-colors.js';

/** The look of a run of text, as the SGR sequences before it set it. */
export interface TextStyle {
  /** Foreground colour, a CSS colour; the viewer's own when absent. */
  fg?: string;
  /** Background colour, a CSS colour; none when absent. */
  bg?: string;
  bold?: boolean;
  dim?: boolean;
  italic?: boolean;
  underline?: boolean;
  /** Swap foreground and background (SGR 7). */
  inverse?: boolean;
  strike?: boolean;
}

/** No style at all: the viewer's own colours. */
export const UNSTYLED: TextStyle = Object.freeze({});

/** The style after the SGR sequence with `params` (`"1;31"`). */
export function applySgr(style: TextStyle, params: string): TextStyle {
  const parts = params === '' ? ['0'] : params.split(';');
  let next: TextStyle = { ...style };
  for (let index = 0; index < parts.length; index++) {
    const part = parts[index] ?? '';
    if (part.includes(':')) {
      // ITU form: 38:5:n, 38:2::r:g:b or 38:2:r:g:b, 4:3 (curly).
      const sub = part.split(':').map((value) => Number(value) || 0);
      const code = sub[0] ?? 0;
      if (code === 38 || code === 48) {
        const rgb = sub.length >= 6 ? sub.slice(3) : sub.slice(2);
        setColour(next, code, sub[1], sub[2], rgb);
      } else if (code === 4) {
        next = withFlag(next, 'underline', sub[1] !== 0);
      }
      continue;
    }
    const code = part === '' ? 0 : Number(part);
    if (code === 38 || code === 48) {
      const mode = Number(parts[index + 1]);
      if (mode === 5) {
        setColour(next, code, 5, Number(parts[index + 2]), []);
        index += 2;
      } else if (mode === 2) {
        const rgb = parts.slice(index + 2, index + 5).map(Number);
        setColour(next, code, 2, undefined, rgb);
        index += 4;
      } else {
        index += 1;
      }
      continue;
    }
    next = applyCode(next, code);
  }
  return next;
}

/** Sets the extended colour of SGR 38 or 48. */
function setColour(
  style: TextStyle,
  code: number,
  mode: number | undefined,
  index: number | undefined,
  rgb: readonly number[],
): void {
  let colour: string | undefined;
  if (mode === 5 && index !== undefined) {
    colour = paletteColour(index);
  } else if (mode === 2 && rgb.length >= 3) {
    colour = rgbColour(rgb[0] ?? 0, rgb[1] ?? 0, rgb[2] ?? 0);
  }
  if (colour !== undefined) {
    style[code === 38 ? 'fg' : 'bg'] = colour;
  }
}

/** The style after one plain SGR code. */
function applyCode(style: TextStyle, code: number): TextStyle {
  if (code === 0) {
    return {};
  }
  if ((code >= 30 && code <= 37) || (code >= 90 && code <= 97)) {
    const colour = paletteColour(code >= 90 ? code - 82 : code - 30);
    return colour === undefined ? style : { ...style, fg: colour };
  }
  if ((code >= 40 && code <= 47) || (code >= 100 && code <= 107)) {
    const colour = paletteColour(code >= 100 ? code - 92 : code - 40);
    return colour === undefined ? style : { ...style, bg: colour };
  }
  switch (code) {
    case 1:
      return withFlag(style, 'bold', true);
    case 2:
      return withFlag(style, 'dim', true);
    case 3:
      return withFlag(style, 'italic', true);
    case 4:
      return withFlag(style, 'underline', true);
    case 7:
      return withFlag(style, 'inverse', true);
    case 9:
      return withFlag(style, 'strike', true);
    case 22:
      return withFlag(withFlag(style, 'bold', false), 'dim', false);
    case 23:
      return withFlag(style, 'italic', false);
    case 24:
      return withFlag(style, 'underline', false);
    case 27:
      return withFlag(style, 'inverse', false);
    case 29:
      return withFlag(style, 'strike', false);
    case 39:
      return without(style, 'fg');
    case 49:
      return without(style, 'bg');
    default:
      // Blink, conceal, fonts, overline…: not shown.
      return style;
  }
}

type Flag = 'bold' | 'dim' | 'italic' | 'underline' | 'inverse' | 'strike';

function withFlag(style: TextStyle, flag: Flag, on: boolean): TextStyle {
  return on ? { ...style, [flag]: true } : without(style, flag);
}

function without(style: TextStyle, key: keyof TextStyle): TextStyle {
  if (style[key] === undefined) {
    return style;
  }
  const { [key]: _removed, ...rest } = style;
  return rest;
}

const STYLE_KEYS: ReadonlyArray<keyof TextStyle> = [
  'fg',
  'bg',
  'bold',
  'dim',
  'italic',
  'underline',
  'inverse',
  'strike',
];

/** Whether two styles look the same. */
export function sameStyle(a: TextStyle, b: TextStyle): boolean {
  return a === b || STYLE_KEYS.every((key) => a[key] === b[key]);
}
