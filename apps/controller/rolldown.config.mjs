// dist/main.js, the controller's executable: see tools/bundle/app-bundle.mjs.
import { appBundle } from '../../tools/bundle/app-bundle.mjs';

export default appBundle(import.meta.dirname);
