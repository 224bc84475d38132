import { defineConfig } from 'vitest/config';

// The ROS tier (`npm run test:ros`): tests that judge vil with a real ROS 2 Jazzy's own tools
// (ros2cli, rclpy, rosbag2) at /opt/ros/jazzy. Each fails, saying so, where it is missing;
// `npm test` (vitest.config.ts) leaves test/ros out.
export default defineConfig({
  test: {
    include: ['test/ros/**/*.test.ts'],
    // vil built with colcon once per run (global_setup.ts), for the tests that launch it.
    globalSetup: ['./test/helpers/tmp_per_run.ts', './test/ros/global_setup.ts'],
    // One file at a time: each starts ROS processes of its own; on 2 cores, together they would
    // only slow each other down.
    fileParallelism: false,
    pool: 'forks',
    // Each test file's temporary files in a directory of its own, removed after the file.
    setupFiles: ['./test/helpers/tmp_per_file.ts'],
    testTimeout: 600_000,
    hookTimeout: 1_200_000,
    reporters: ['default', './test/helpers/summary_reporter.ts'],
  },
});
