// dist/main.js, the speaker's executable: see tools/bundle/app-bundle.mjs. koffi (through
// @bmlb/libc) is a native addon, loaded from node_modules at run time: the speaker depends on it
// directly for that (knip.json: its sources do not import it).
import { appBundle } from '../../tools/bundle/app-bundle.mjs';

export default appBundle(import.meta.dirname, { external: ['koffi'] });
