// Builds the operator toolbar (Preact; JsSIP in a chunk loaded when a softphone is on) from
// web/operator into dist/operator, served by the server at /operator/, and the demo's phone
// page (phone.html, served by `vm demo` only at /demo/phone: src/http/routes/demo-phone.ts),
// which shares its SIP module. `npm run build`.
import { pageConfig } from '../vite-page.ts';

export default pageConfig('operator', 600, ['phone.html']);
