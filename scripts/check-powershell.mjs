// Parses each PowerShell file with tree-sitter-powershell; prints every ERROR and MISSING node
// as FILE:LINE:COLUMN and exits 1 when there is any (0 with --expect-errors only then).
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [cache, ...rest] = process.argv.slice(2);
const expectErrors = rest[0] === '--expect-errors';
const files = expectErrors ? rest.slice(1) : rest;
const require = createRequire(join(cache, 'package.json'));
const Parser = require('tree-sitter');
const PowerShell = (await import(pathToFileURL(require.resolve('tree-sitter-powershell')).href)).default;

const parser = new Parser();
parser.setLanguage(PowerShell);
let problems = 0;
for (const file of files) {
  let text = readFileSync(file, 'utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  // The node binding reads large inputs through a callback, 16 KiB at a time.
  const tree = parser.parse((index) => text.slice(index, index + 16384));
  const walk = (node) => {
    if (node.type === 'ERROR' || node.isMissing) {
      const p = node.startPosition;
      const what = node.isMissing ? `MISSING ${node.type}` : 'ERROR';
      console.log(`${file}:${p.row + 1}:${p.column + 1}: ${what}: ${JSON.stringify(text.slice(node.startIndex, Math.min(node.endIndex, node.startIndex + 60)))}`);
      ++problems;
    }
    for (const child of node.children) walk(child);
  };
  walk(tree.rootNode);
}
if (expectErrors) {
  if (problems === 0) console.log('check-powershell: expected parse errors, found none');
  process.exit(problems > 0 ? 0 : 1);
}
process.exit(problems > 0 ? 1 : 0);
