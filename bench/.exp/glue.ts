import { buildFixture } from '../lib/fixtures';
import { transpileDirect } from '../lib/direct';
const f = await buildFixture('noop');
const t = await transpileDirect(f.component, '/tmp/glue-exp');
console.log(t);
