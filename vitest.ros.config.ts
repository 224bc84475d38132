import { defineConfig } from 'vitest/config';

// The ROS tier (`npm run test:ros`): tests that need a real ROS 2 Jazzy at /opt/ros/jazzy. Each
// fails, saying so, where it is missing; `npm test` (vitest.config.ts) leaves test/ros out.
export default defineConfig({
  test: {
    include: ['test/ros/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 600_000,
    hookTimeout: 1_200_000,
    reporters: ['default', './test/helpers/summary_reporter.ts'],
  },
});
