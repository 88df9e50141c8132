// Builds the operator toolbar (Preact; JsSIP in a chunk loaded when a softphone is on) from
// web/operator into dist/operator, served by the server at /operator/. `npm run build`.
import { pageConfig } from '../vite-page.ts';

export default pageConfig('operator', 600);
