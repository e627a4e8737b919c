// What some tests need beyond `npm install`, in one place: each is a skip reason naming how to
// get the missing piece, or false when it is present. `bash scripts/setup.sh` installs all of
// them, so after it `npm test` skips nothing; without one, the tests that need it skip and say why.

import fs from 'node:fs';
import { FASHION_MNIST_DIR } from '../src/data/index.ts';
import { loadNativeBackend, nativeLoadError } from '../src/tensor/native.ts';

const SETUP = 'bash scripts/setup.sh installs it';

/** Debian's chromium, for the browser checks of report.html; LIGO_TEST_CHROMIUM points elsewhere. */
export const CHROMIUM = process.env.LIGO_TEST_CHROMIUM ?? '/usr/bin/chromium';

export const chromiumSkip: string | false = fs.existsSync(CHROMIUM) ? false : `${CHROMIUM} not found: the browser checks of report.html need Chromium (${SETUP}; Debian package chromium)`;

export const fashionMnistSkip: string | false = fs.existsSync(FASHION_MNIST_DIR) ? false : `Fashion-MNIST is not installed in ${FASHION_MNIST_DIR} (${SETUP}; Debian package dataset-fashion-mnist)`;

/** The C++ addon: built by npm install against OpenBLAS (Debian package libopenblas-dev). */
export const nativeSkip: string | false = loadNativeBackend() ? false : `native addon not available: ${nativeLoadError()} (${SETUP} with OpenBLAS and builds the addon; or npm run build:native)`;
