// Preloaded into a service process by `pnpm bench --profile` (NODE_OPTIONS=--import): Node refuses
// --cpu-prof in NODE_OPTIONS, so the V8 profiler is started here through node:inspector and the
// profile is written on exit (SIGTERM from the supervisor → runService → process.exit). A same-thread
// inspector session answers synchronously, which is what lets the 'exit' handler write the file.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

const file = process.env.BENCH_CPU_PROF_FILE;
if (file) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 1000 });
  session.post('Profiler.start');
  process.on('exit', () => {
    session.post('Profiler.stop', (err, res) => {
      if (!err) writeFileSync(file, JSON.stringify(res.profile));
    });
  });
}
