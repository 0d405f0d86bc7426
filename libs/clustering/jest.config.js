const preset = require('../../jest.preset.js');

// ml-kmeans (the baseline) and its ml-* dependencies ship as ES modules; swc turns them into
// CommonJS for jest (plain node and tsx load them natively).
module.exports = {
  ...preset,
  displayName: '@courier/clustering',
  rootDir: __dirname,
  transform: {
    ...preset.transform,
    '^.+\\.m?js$': ['@swc/jest', { jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!(ml-|is-any-array|num-sort|d3-|median-quickselect|fft\\.js|spline-interpolator|cheminfo-types|binary-search)[^/]*/)'],
};
