// Test fixtures of @courier/courier: golden loss vectors, a tolerance checker, and a small
// in-memory coloured-squares world whose users click by colour.
export * from './golden';
export * from './fixture';
