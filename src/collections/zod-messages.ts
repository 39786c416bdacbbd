import * as z from 'zod/mini';

/**
 * zod's mini build carries no messages of its own (classic zod installs English when it is
 * imported), so every issue would read "Invalid input". This installs zod's English messages
 * unless the app has chosen a zod locale already; the modules that parse call it once on load.
 */
export function installEnglishZodMessages(): void {
  if (!z.config().localeError) z.config(z.locales.en());
}
