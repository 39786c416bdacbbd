import type { Plugin } from 'vite';

/** One chunk of the dashboard build and the modules in it (sizes as rendered, before minifying). */
export interface BundleReportChunk {
  readonly fileName: string;
  readonly isEntry: boolean;
  readonly imports: readonly string[];
  readonly dynamicImports: readonly string[];
  readonly modules: readonly { readonly id: string; readonly bytes: number }[];
}

export const BUNDLE_REPORT_FILE = '.vite/bundle-report.json';

/**
 * Writes `.vite/bundle-report.json` beside the build (as Vite's own manifest): every chunk,
 * what it imports, and its modules with their rendered sizes, so the browser benchmark can name
 * the largest modules of the first visit (bench/browser/dashboard-figures.ts).
 */
export function bundleReport(): Plugin {
  return {
    name: 'brain-store-bundle-report',
    generateBundle(_options, bundle) {
      const chunks: BundleReportChunk[] = [];
      for (const output of Object.values(bundle)) {
        if (output.type !== 'chunk') continue;
        chunks.push({
          fileName: output.fileName,
          isEntry: output.isEntry,
          imports: output.imports,
          dynamicImports: output.dynamicImports,
          modules: Object.entries(output.modules).map(([id, module]) => ({ id: shortId(id), bytes: module.renderedLength })),
        });
      }
      this.emitFile({ type: 'asset', fileName: BUNDLE_REPORT_FILE, source: JSON.stringify({ chunks }, null, 1) });
    },
  };
}

/** `rxdb/dist/esm/rx-collection.js`, `src/queries/live-query.ts`: no machine paths in the report. */
function shortId(id: string): string {
  const inPackage = /node_modules\/(.+)$/.exec(id);
  if (inPackage) return inPackage[1]!;
  const inRepo = /\/((?:src|dashboard)\/.+)$/.exec(id);
  return inRepo ? inRepo[1]! : id;
}
