import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The ROS tier needs a real ROS 2: `npm run test:ros` (vitest.ros.config.ts).
    exclude: [...configDefaults.exclude, 'test/ros/**'],
    // Native addons (serialport, socketcan) and child processes: forks, not worker threads.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests share a 2-core machine with pty pairs and UML guests; keep output readable.
    reporters: ['default', './test/helpers/summary_reporter.ts'],
  },
});
