// The `kura` command as a child process for the fault tests: bin/kura.js runs the compiled dist/,
// which may lag behind the sources; this runs cli/main.ts through tsx instead.
import { main } from '../../cli/main.js';

process.exitCode = await main(process.argv);
