// SVG -> PNG with resvg (@resvg/resvg-js, binary inside the package), at twice the SVG's size.
// Text needs the DejaVu fonts (Debian: fonts-dejavu-core, /usr/share/fonts/truetype/dejavu);
// without them resvg falls back to whatever system fonts it finds, or draws no text.

import fs from 'node:fs';
import { Resvg } from '@resvg/resvg-js';

const DEJAVU_DIR = '/usr/share/fonts/truetype/dejavu';

export function svgToPng(svg: string): Buffer {
  const dejavu = fs.existsSync(DEJAVU_DIR);
  const font = dejavu ? { loadSystemFonts: false, fontDirs: [DEJAVU_DIR], defaultFontFamily: 'DejaVu Sans' } : { loadSystemFonts: true };
  return new Resvg(svg, { font, fitTo: { mode: 'zoom', value: 2 }, background: '#ffffff', logLevel: 'off' }).render().asPng();
}
