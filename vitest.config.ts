import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The ROS tier needs a real ROS 2: `npm run test:ros` (vitest.ros.config.ts).
    exclude: [...configDefaults.exclude, 'test/ros/**'],
    // Native addons (serialport, socketcan) and child processes: forks, not worker threads.
    pool: 'forks',
    // Each test file's temporary files in a directory of its own, removed after the file.
    globalSetup: ['./test/helpers/tmp_per_run.ts'],
    setupFiles: ['./test/helpers/tmp_per_file.ts'],
    // Limits that only catch a hang: no test waits for time to pass, and a loaded machine (load
    // average 10 on 2 cores) makes the slow ones (User-mode Linux guests, the demo) several times
    // slower. What a test waits for is a condition.
    testTimeout: 600_000,
    hookTimeout: 600_000,
    // Integration tests share a 2-core machine with pty pairs and UML guests; keep output readable.
    reporters: ['default', './test/helpers/summary_reporter.ts'],
  },
});
