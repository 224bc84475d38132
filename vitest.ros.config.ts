import { defineConfig } from 'vitest/config';

// The ROS tier: tests that judge vil with a real ROS 2 Jazzy's own tools (needs /opt/ros/jazzy).
export default defineConfig({
  test: {
    include: ['test/ros/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 600_000,
    hookTimeout: 1_200_000,
    reporters: ['default', './test/helpers/summary_reporter.ts'],
  },
});
