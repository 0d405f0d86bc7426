// Test fixtures of @courier/courier: the golden loss vectors and a tolerance checker.
export * from './golden';
