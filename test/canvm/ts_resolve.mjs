// Loaded with `node --import` for the scripts in test/canvm, which run inside the UML VM as
// TypeScript (Node 22 strips/transforms the types): the project's sources import each other as
// './x.js' (NodeNext style) while the files on disk are x.ts, so a relative '.js' that does
// not exist resolves to its '.ts' sibling (relative, absolute and file: specifiers).
import { registerHooks } from 'node:module';

registerHooks({
  resolve(specifier, context, nextResolve) {
    try {
      return nextResolve(specifier, context);
    } catch (err) {
      if (/^(\.{1,2}\/|\/|file:)/.test(specifier) && specifier.endsWith('.js')) {
        return nextResolve(`${specifier.slice(0, -3)}.ts`, context);
      }
      throw err;
    }
  },
});
