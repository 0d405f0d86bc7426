// Test fixtures of @courier/courier: golden loss vectors, a tolerance checker, and a small
// in-memory coloured-squares world whose users click by colour. Named exports only.
export { goldenDir, goldenOptions, loadCourierGolden, toleranceViolations } from './golden';
export type { CourierGolden, CourierGoldenCase, GoldenTolerance } from './golden';
export { makeSquaresFixture } from './fixture';
export type { SquaresFixture, SquaresFixtureOptions } from './fixture';
