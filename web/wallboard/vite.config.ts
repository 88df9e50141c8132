// Builds the supervisor wallboard (Preact + uPlot) from web/wallboard into dist/wallboard,
// served by the server at /wallboard/. `npm run build` (run by `npm install`'s prepare).
import { pageConfig } from '../vite-page.ts';

export default pageConfig('wallboard', 400);
