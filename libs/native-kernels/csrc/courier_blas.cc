// courier_blas: BLAS-backed kernels for tfjs's CPU backend (see libs/native-kernels/README.md).
//
// Every entry point takes caller-allocated Float32Arrays (inputs and the output) plus integer
// shape parameters, checks that each buffer has exactly the length the shapes imply, and
// throws a JS error otherwise: a wrong call must never read or write out of bounds.
// Layouts are tfjs's: row-major, NHWC for images, HWIO ([fh, fw, in, out]) for filters.
#include <napi.h>
#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

namespace {

// Activation codes shared with src/kernels.ts (ACTIVATION_CODES).
enum Activation { kLinear = 0, kRelu = 1, kRelu6 = 2, kElu = 3, kSigmoid = 4, kLeakyRelu = 5, kPrelu = 6 };

// im2col buffers are processed in chunks of whole images of at most this many floats (64 MiB).
constexpr int64_t kColChunkFloats = int64_t(16) << 20;

struct F32 {
  float* data = nullptr;
  int64_t length = 0;
};

[[noreturn]] void Fail(const Napi::Env& env, const std::string& message) {
  throw Napi::Error::New(env, "courier_blas: " + message);
}

F32 ArgF32(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name) {
  Napi::Env env = info.Env();
  if (info.Length() <= i || !info[i].IsTypedArray() ||
      info[i].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    Fail(env, std::string(fn) + ": argument " + std::to_string(i) + " (" + name + ") must be a Float32Array");
  }
  Napi::Float32Array a = info[i].As<Napi::Float32Array>();
  F32 out;
  out.data = a.Data();
  out.length = static_cast<int64_t>(a.ElementLength());
  return out;
}

// Optional Float32Array: null/undefined -> {nullptr, 0}.
F32 ArgOptF32(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name) {
  if (info.Length() <= i || info[i].IsNull() || info[i].IsUndefined()) return F32{};
  return ArgF32(info, i, fn, name);
}

int64_t ArgInt(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name, int64_t lo,
               int64_t hi = std::numeric_limits<int32_t>::max()) {
  Napi::Env env = info.Env();
  if (info.Length() <= i || !info[i].IsNumber()) {
    Fail(env, std::string(fn) + ": argument " + std::to_string(i) + " (" + name + ") must be a number");
  }
  double v = info[i].As<Napi::Number>().DoubleValue();
  if (!std::isfinite(v) || v != std::floor(v) || v < double(lo) || v > double(hi)) {
    Fail(env, std::string(fn) + ": " + name + " must be an integer in [" + std::to_string(lo) + ", " +
                  std::to_string(hi) + "], got " + std::to_string(v));
  }
  return static_cast<int64_t>(v);
}

bool ArgBool(const Napi::CallbackInfo& info, size_t i) {
  return info.Length() > i && info[i].ToBoolean().Value();
}

double ArgNumber(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name) {
  if (info.Length() <= i || !info[i].IsNumber()) {
    Fail(info.Env(), std::string(fn) + ": argument " + std::to_string(i) + " (" + name + ") must be a number");
  }
  return info[i].As<Napi::Number>().DoubleValue();
}

void ExpectLength(const Napi::Env& env, const char* fn, const char* name, const F32& a, int64_t expected) {
  if (a.length != expected) {
    Fail(env, std::string(fn) + ": " + name + " has length " + std::to_string(a.length) + ", expected " +
                  std::to_string(expected));
  }
}

// The output must not share memory with an input (BLAS and the loops below assume no aliasing).
void ExpectDisjoint(const Napi::Env& env, const char* fn, const F32& out, std::initializer_list<F32> inputs) {
  const char* o0 = reinterpret_cast<const char*>(out.data);
  const char* o1 = o0 + out.length * 4;
  for (const F32& in : inputs) {
    if (in.data == nullptr || in.length == 0 || out.length == 0) continue;
    const char* i0 = reinterpret_cast<const char*>(in.data);
    const char* i1 = i0 + in.length * 4;
    if (o0 < i1 && i0 < o1) Fail(env, std::string(fn) + ": the output buffer overlaps an input");
  }
}

// Bias / PReLU weights apply per output column: length `cols` or 1 (a scalar).
void ExpectPerColumn(const Napi::Env& env, const char* fn, const char* name, const F32& a, int64_t cols) {
  if (a.data != nullptr && a.length != cols && a.length != 1) {
    Fail(env, std::string(fn) + ": " + name + " has length " + std::to_string(a.length) + ", expected " +
                  std::to_string(cols) + " or 1");
  }
}

// out[r, j] = act(out[r, j] + bias[j]) for a [rows, cols] block. Matches tfjs-backend-cpu's
// unfused Add + activation kernels (NaN passes through relu / relu6 as Math.max does).
void Epilogue(float* out, int64_t rows, int64_t cols, const F32& bias, int act, float leakyAlpha,
              const F32& prelu) {
  const bool hasBias = bias.data != nullptr;
  if (!hasBias && act == kLinear) return;
  const float* b = bias.data;
  const bool biasScalar = hasBias && bias.length == 1;
  const float* pw = prelu.data;
  const bool preluScalar = pw != nullptr && prelu.length == 1;
  for (int64_t r = 0; r < rows; ++r) {
    float* row = out + r * cols;
    if (hasBias) {
      if (biasScalar) {
        const float bv = b[0];
        for (int64_t j = 0; j < cols; ++j) row[j] += bv;
      } else {
        for (int64_t j = 0; j < cols; ++j) row[j] += b[j];
      }
    }
    switch (act) {
      case kLinear:
        break;
      case kRelu:
        for (int64_t j = 0; j < cols; ++j) row[j] = row[j] < 0.f ? 0.f : row[j];
        break;
      case kRelu6:
        for (int64_t j = 0; j < cols; ++j) {
          const float v = row[j];
          row[j] = v < 0.f ? 0.f : (v > 6.f ? 6.f : v);
        }
        break;
      case kElu:
        for (int64_t j = 0; j < cols; ++j) {
          const float v = row[j];
          row[j] = v >= 0.f ? v : static_cast<float>(std::expm1(static_cast<double>(v)));
        }
        break;
      case kSigmoid:
        for (int64_t j = 0; j < cols; ++j) {
          row[j] = static_cast<float>(1.0 / (1.0 + std::exp(-static_cast<double>(row[j]))));
        }
        break;
      case kLeakyRelu:
        for (int64_t j = 0; j < cols; ++j) {
          const float v = row[j];
          row[j] = v < 0.f ? leakyAlpha * v : v;
        }
        break;
      case kPrelu:
        for (int64_t j = 0; j < cols; ++j) {
          const float v = row[j];
          const float a = preluScalar ? pw[0] : pw[j];
          row[j] = v < 0.f ? a * v : v;
        }
        break;
      default:
        break;
    }
  }
}

int ArgActivation(const Napi::CallbackInfo& info, size_t i, const char* fn, const F32& prelu) {
  const int act = static_cast<int>(ArgInt(info, i, fn, "activation", kLinear, kPrelu));
  if (act == kPrelu && prelu.data == nullptr) Fail(info.Env(), std::string(fn) + ": prelu activation needs weights");
  return act;
}

// ---------------------------------------------------------------------------------------------
// matmul(a, b, out, batch, batchA, batchB, M, N, K, transA, transB, aIndex, bIndex,
//        bias, activation, leakyAlpha, prelu)
//   out[i] = act(op(a[aIndex[i]]) @ op(b[bIndex[i]]) + bias) for i < batch, where op transposes
//   the last two dims when trans* is set; a is [batchA, M, K] ([batchA, K, M] transposed), b is
//   [batchB, K, N] ([batchB, N, K] transposed), out is [batch, M, N]. aIndex/bIndex are
//   Int32Arrays of length batch (broadcast batch maps) or null: then batchA must be 1 or batch.
Napi::Value MatMul(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* fn = "matmul";
  F32 a = ArgF32(info, 0, fn, "a");
  F32 b = ArgF32(info, 1, fn, "b");
  F32 out = ArgF32(info, 2, fn, "out");
  const int64_t batch = ArgInt(info, 3, fn, "batch", 0);
  const int64_t batchA = ArgInt(info, 4, fn, "batchA", 0);
  const int64_t batchB = ArgInt(info, 5, fn, "batchB", 0);
  const int64_t M = ArgInt(info, 6, fn, "M", 0);
  const int64_t N = ArgInt(info, 7, fn, "N", 0);
  const int64_t K = ArgInt(info, 8, fn, "K", 0);
  const bool transA = ArgBool(info, 9);
  const bool transB = ArgBool(info, 10);
  ExpectLength(env, fn, "a", a, batchA * M * K);
  ExpectLength(env, fn, "b", b, batchB * K * N);
  ExpectLength(env, fn, "out", out, batch * M * N);
  ExpectDisjoint(env, fn, out, {a, b});

  std::vector<int32_t> index[2];
  const int64_t batches[2] = {batchA, batchB};
  for (int side = 0; side < 2; ++side) {
    const size_t arg = 11 + side;
    const char* name = side == 0 ? "aIndex" : "bIndex";
    if (info.Length() > arg && !info[arg].IsNull() && !info[arg].IsUndefined()) {
      if (!info[arg].IsTypedArray() || info[arg].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
        Fail(env, std::string(fn) + ": " + name + " must be an Int32Array or null");
      }
      Napi::Int32Array ix = info[arg].As<Napi::Int32Array>();
      if (static_cast<int64_t>(ix.ElementLength()) != batch) {
        Fail(env, std::string(fn) + ": " + name + " has length " + std::to_string(ix.ElementLength()) +
                      ", expected batch = " + std::to_string(batch));
      }
      index[side].assign(ix.Data(), ix.Data() + batch);
      for (int32_t v : index[side]) {
        if (v < 0 || v >= batches[side]) {
          Fail(env, std::string(fn) + ": " + name + " entry " + std::to_string(v) + " outside [0, " +
                        std::to_string(batches[side]) + ")");
        }
      }
    } else if (batch > 0 && batches[side] != 1 && batches[side] != batch) {
      Fail(env, std::string(fn) + ": batch" + (side == 0 ? "A" : "B") + " = " + std::to_string(batches[side]) +
                    " needs an index map (batch = " + std::to_string(batch) + ")");
    }
  }
  F32 bias = ArgOptF32(info, 13, fn, "bias");
  F32 prelu = ArgOptF32(info, 16, fn, "prelu");
  const int act = ArgActivation(info, 14, fn, prelu);
  const float leakyAlpha = static_cast<float>(ArgNumber(info, 15, fn, "leakyAlpha"));
  ExpectPerColumn(env, fn, "bias", bias, N);
  ExpectPerColumn(env, fn, "prelu", prelu, N);
  ExpectDisjoint(env, fn, out, {bias, prelu});
  if (batch == 0 || M == 0 || N == 0) return env.Undefined();

  const int lda = static_cast<int>(std::max<int64_t>(1, transA ? M : K));
  const int ldb = static_cast<int>(std::max<int64_t>(1, transB ? K : N));
  for (int64_t i = 0; i < batch; ++i) {
    const int64_t ia = index[0].empty() ? (batchA == 1 ? 0 : i) : index[0][i];
    const int64_t ib = index[1].empty() ? (batchB == 1 ? 0 : i) : index[1][i];
    float* c = out.data + i * M * N;
    if (K == 0) {
      std::fill(c, c + M * N, 0.f);
    } else {
      cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                  static_cast<int>(M), static_cast<int>(N), static_cast<int>(K), 1.f, a.data + ia * M * K, lda,
                  b.data + ib * K * N, ldb, 0.f, c, static_cast<int>(N));
    }
    Epilogue(c, M, N, bias, act, leakyAlpha, prelu);
  }
  return env.Undefined();
}

// ---------------------------------------------------------------------------------------------
// Convolutions (NHWC). Geometry comes from tfjs's computeConv2DInfo as a plain array:
//   [batch, inH, inW, inC, outH, outW, outC, filterH, filterW, strideH, strideW,
//    dilationH, dilationW, padTop, padLeft]
struct ConvGeom {
  int64_t B, H, W, C, OH, OW, OC, FH, FW, SH, SW, DH, DW, PT, PL;
  int64_t K() const { return FH * FW * C; }             // im2col row length
  int64_t Rows() const { return OH * OW; }              // im2col rows per image
  bool Pointwise() const {                              // 1x1, stride 1, no pad: x is its own im2col
    return FH == 1 && FW == 1 && SH == 1 && SW == 1 && PT == 0 && PL == 0 && OH == H && OW == W;
  }
  int64_t ImagesPerChunk() const {
    const int64_t perImage = std::max<int64_t>(1, Rows() * K());
    return std::max<int64_t>(1, std::min<int64_t>(B, kColChunkFloats / perImage));
  }
};

ConvGeom ArgGeom(const Napi::CallbackInfo& info, size_t i, const char* fn) {
  Napi::Env env = info.Env();
  if (info.Length() <= i || !info[i].IsArray()) Fail(env, std::string(fn) + ": geometry must be an array of 15 integers");
  Napi::Array arr = info[i].As<Napi::Array>();
  if (arr.Length() != 15) Fail(env, std::string(fn) + ": geometry must have 15 entries, got " + std::to_string(arr.Length()));
  static const char* names[15] = {"batch", "inH", "inW", "inC", "outH", "outW", "outC", "filterH",
                                  "filterW", "strideH", "strideW", "dilationH", "dilationW", "padTop", "padLeft"};
  int64_t v[15];
  for (uint32_t k = 0; k < 15; ++k) {
    Napi::Value e = arr.Get(k);
    const int64_t lo = (k >= 7 && k <= 12) ? 1 : (k >= 13 ? -(int64_t(1) << 30) : 0);
    if (!e.IsNumber()) Fail(env, std::string(fn) + ": geometry." + names[k] + " must be a number");
    const double d = e.As<Napi::Number>().DoubleValue();
    if (!std::isfinite(d) || d != std::floor(d) || d < double(lo) || d > double(int64_t(1) << 30)) {
      Fail(env, std::string(fn) + ": geometry." + names[k] + " = " + std::to_string(d) + " is out of range");
    }
    v[k] = static_cast<int64_t>(d);
  }
  ConvGeom g{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13], v[14]};
  // Element counts must fit a 32-bit BLAS dimension.
  const int64_t limit = std::numeric_limits<int32_t>::max();
  if (g.K() > limit || g.B * g.Rows() > limit || g.B * g.H * g.W * g.C > (int64_t(1) << 40)) {
    Fail(env, std::string(fn) + ": convolution too large");
  }
  return g;
}

// Fills col[(b - b0) * rows + oy * OW + ox, (r * FW + c) * C + ch] from x (zero outside the image).
void Im2Col(const ConvGeom& g, const float* x, int64_t b0, int64_t b1, float* col) {
  const int64_t K = g.K();
  const int64_t C = g.C;
  for (int64_t b = b0; b < b1; ++b) {
    const float* xb = x + b * g.H * g.W * C;
    for (int64_t oy = 0; oy < g.OH; ++oy) {
      for (int64_t ox = 0; ox < g.OW; ++ox) {
        float* dst = col + (((b - b0) * g.OH + oy) * g.OW + ox) * K;
        const int64_t ix0 = ox * g.SW - g.PL;
        for (int64_t r = 0; r < g.FH; ++r) {
          const int64_t iy = oy * g.SH - g.PT + r * g.DH;
          float* drow = dst + r * g.FW * C;
          if (iy < 0 || iy >= g.H) {
            std::memset(drow, 0, sizeof(float) * g.FW * C);
            continue;
          }
          const float* xrow = xb + iy * g.W * C;
          if (g.DW == 1) {
            // Columns c with 0 <= ix0 + c < W are one contiguous run in x.
            const int64_t c0 = std::min<int64_t>(g.FW, std::max<int64_t>(0, -ix0));
            const int64_t c1 = std::max<int64_t>(c0, std::min<int64_t>(g.FW, g.W - ix0));
            if (c0 > 0) std::memset(drow, 0, sizeof(float) * c0 * C);
            if (c1 > c0) std::memcpy(drow + c0 * C, xrow + (ix0 + c0) * C, sizeof(float) * (c1 - c0) * C);
            if (c1 < g.FW) std::memset(drow + c1 * C, 0, sizeof(float) * (g.FW - c1) * C);
          } else {
            for (int64_t c = 0; c < g.FW; ++c) {
              const int64_t ix = ix0 + c * g.DW;
              if (ix < 0 || ix >= g.W) {
                std::memset(drow + c * C, 0, sizeof(float) * C);
              } else {
                std::memcpy(drow + c * C, xrow + ix * C, sizeof(float) * C);
              }
            }
          }
        }
      }
    }
  }
}

// The adjoint of Im2Col: dx[b, iy, ix, ch] += col[...] (dx rows b0..b1 must be zeroed first).
void Col2Im(const ConvGeom& g, const float* col, int64_t b0, int64_t b1, float* dx) {
  const int64_t K = g.K();
  const int64_t C = g.C;
  for (int64_t b = b0; b < b1; ++b) {
    float* xb = dx + b * g.H * g.W * C;
    for (int64_t oy = 0; oy < g.OH; ++oy) {
      for (int64_t ox = 0; ox < g.OW; ++ox) {
        const float* src = col + (((b - b0) * g.OH + oy) * g.OW + ox) * K;
        const int64_t ix0 = ox * g.SW - g.PL;
        for (int64_t r = 0; r < g.FH; ++r) {
          const int64_t iy = oy * g.SH - g.PT + r * g.DH;
          if (iy < 0 || iy >= g.H) continue;
          float* xrow = xb + iy * g.W * C;
          const float* srow = src + r * g.FW * C;
          for (int64_t c = 0; c < g.FW; ++c) {
            const int64_t ix = ix0 + c * g.DW;
            if (ix < 0 || ix >= g.W) continue;
            float* d = xrow + ix * C;
            const float* s = srow + c * C;
            for (int64_t ch = 0; ch < C; ++ch) d[ch] += s[ch];
          }
        }
      }
    }
  }
}

// conv2d(x, filter, out, geometry, bias, activation, leakyAlpha, prelu)
Napi::Value Conv2D(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* fn = "conv2d";
  F32 x = ArgF32(info, 0, fn, "x");
  F32 w = ArgF32(info, 1, fn, "filter");
  F32 out = ArgF32(info, 2, fn, "out");
  const ConvGeom g = ArgGeom(info, 3, fn);
  F32 bias = ArgOptF32(info, 4, fn, "bias");
  F32 prelu = ArgOptF32(info, 7, fn, "prelu");
  const int act = ArgActivation(info, 5, fn, prelu);
  const float leakyAlpha = static_cast<float>(ArgNumber(info, 6, fn, "leakyAlpha"));
  ExpectLength(env, fn, "x", x, g.B * g.H * g.W * g.C);
  ExpectLength(env, fn, "filter", w, g.K() * g.OC);
  ExpectLength(env, fn, "out", out, g.B * g.Rows() * g.OC);
  ExpectPerColumn(env, fn, "bias", bias, g.OC);
  ExpectPerColumn(env, fn, "prelu", prelu, g.OC);
  ExpectDisjoint(env, fn, out, {x, w, bias, prelu});
  if (out.length == 0) return env.Undefined();
  const int64_t K = g.K();
  if (K == 0) {
    std::fill(out.data, out.data + out.length, 0.f);
    Epilogue(out.data, g.B * g.Rows(), g.OC, bias, act, leakyAlpha, prelu);
    return env.Undefined();
  }
  const bool pointwise = g.Pointwise();
  const int64_t chunk = pointwise ? g.B : g.ImagesPerChunk();
  std::vector<float> col(pointwise ? 0 : static_cast<size_t>(chunk * g.Rows() * K));
  for (int64_t b0 = 0; b0 < g.B; b0 += chunk) {
    const int64_t b1 = std::min(g.B, b0 + chunk);
    const int64_t rows = (b1 - b0) * g.Rows();
    const float* a = x.data + b0 * g.H * g.W * g.C;
    if (!pointwise) {
      Im2Col(g, x.data, b0, b1, col.data());
      a = col.data();
    }
    float* c = out.data + b0 * g.Rows() * g.OC;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(rows), static_cast<int>(g.OC),
                static_cast<int>(K), 1.f, a, static_cast<int>(K), w.data, static_cast<int>(g.OC), 0.f, c,
                static_cast<int>(g.OC));
    Epilogue(c, rows, g.OC, bias, act, leakyAlpha, prelu);
  }
  return env.Undefined();
}

// conv2dBackpropInput(dy, filter, dx, geometry): dx = col2im(dy @ filter^T).
Napi::Value Conv2DBackpropInput(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* fn = "conv2dBackpropInput";
  F32 dy = ArgF32(info, 0, fn, "dy");
  F32 w = ArgF32(info, 1, fn, "filter");
  F32 dx = ArgF32(info, 2, fn, "dx");
  const ConvGeom g = ArgGeom(info, 3, fn);
  ExpectLength(env, fn, "dy", dy, g.B * g.Rows() * g.OC);
  ExpectLength(env, fn, "filter", w, g.K() * g.OC);
  ExpectLength(env, fn, "dx", dx, g.B * g.H * g.W * g.C);
  ExpectDisjoint(env, fn, dx, {dy, w});
  std::fill(dx.data, dx.data + dx.length, 0.f);
  const int64_t K = g.K();
  if (dx.length == 0 || K == 0 || g.Rows() == 0 || g.OC == 0) return env.Undefined();
  const bool pointwise = g.Pointwise();
  const int64_t chunk = pointwise ? g.B : g.ImagesPerChunk();
  std::vector<float> col(pointwise ? 0 : static_cast<size_t>(chunk * g.Rows() * K));
  for (int64_t b0 = 0; b0 < g.B; b0 += chunk) {
    const int64_t b1 = std::min(g.B, b0 + chunk);
    const int64_t rows = (b1 - b0) * g.Rows();
    float* c = pointwise ? dx.data + b0 * g.H * g.W * g.C : col.data();
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(rows), static_cast<int>(K),
                static_cast<int>(g.OC), 1.f, dy.data + b0 * g.Rows() * g.OC, static_cast<int>(g.OC), w.data,
                static_cast<int>(g.OC), 0.f, c, static_cast<int>(K));
    if (!pointwise) Col2Im(g, col.data(), b0, b1, dx.data);
  }
  return env.Undefined();
}

// conv2dBackpropFilter(x, dy, dw, geometry): dw = im2col(x)^T @ dy, accumulated over chunks.
Napi::Value Conv2DBackpropFilter(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* fn = "conv2dBackpropFilter";
  F32 x = ArgF32(info, 0, fn, "x");
  F32 dy = ArgF32(info, 1, fn, "dy");
  F32 dw = ArgF32(info, 2, fn, "dw");
  const ConvGeom g = ArgGeom(info, 3, fn);
  ExpectLength(env, fn, "x", x, g.B * g.H * g.W * g.C);
  ExpectLength(env, fn, "dy", dy, g.B * g.Rows() * g.OC);
  ExpectLength(env, fn, "dw", dw, g.K() * g.OC);
  ExpectDisjoint(env, fn, dw, {x, dy});
  std::fill(dw.data, dw.data + dw.length, 0.f);
  const int64_t K = g.K();
  if (dw.length == 0 || g.B == 0 || g.Rows() == 0) return env.Undefined();
  const bool pointwise = g.Pointwise();
  const int64_t chunk = pointwise ? g.B : g.ImagesPerChunk();
  std::vector<float> col(pointwise ? 0 : static_cast<size_t>(chunk * g.Rows() * K));
  for (int64_t b0 = 0; b0 < g.B; b0 += chunk) {
    const int64_t b1 = std::min(g.B, b0 + chunk);
    const int64_t rows = (b1 - b0) * g.Rows();
    const float* a = x.data + b0 * g.H * g.W * g.C;
    if (!pointwise) {
      Im2Col(g, x.data, b0, b1, col.data());
      a = col.data();
    }
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, static_cast<int>(K), static_cast<int>(g.OC),
                static_cast<int>(rows), 1.f, a, static_cast<int>(K), dy.data + b0 * g.Rows() * g.OC,
                static_cast<int>(g.OC), b0 == 0 ? 0.f : 1.f, dw.data, static_cast<int>(g.OC));
  }
  return env.Undefined();
}

// ---------------------------------------------------------------------------------------------
// softmax(x, out, rows, cols): softmax over the last axis, max-shifted like tfjs's kernel.
Napi::Value Softmax(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* fn = "softmax";
  F32 x = ArgF32(info, 0, fn, "x");
  F32 out = ArgF32(info, 1, fn, "out");
  const int64_t rows = ArgInt(info, 2, fn, "rows", 0, int64_t(1) << 40);
  const int64_t cols = ArgInt(info, 3, fn, "cols", 0, int64_t(1) << 40);
  ExpectLength(env, fn, "x", x, rows * cols);
  ExpectLength(env, fn, "out", out, rows * cols);
  // In place (out == x) is fine: each row is read before it is written.
  if (out.data != x.data) ExpectDisjoint(env, fn, out, {x});
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x.data + r * cols;
    float* o = out.data + r * cols;
    float mx = -std::numeric_limits<float>::infinity();
    for (int64_t j = 0; j < cols; ++j) mx = std::max(mx, xr[j]);
    double sum = 0;
    for (int64_t j = 0; j < cols; ++j) {
      const float e = std::exp(xr[j] - mx);
      o[j] = e;
      sum += e;
    }
    const double inv = 1.0 / sum;
    for (int64_t j = 0; j < cols; ++j) o[j] = static_cast<float>(o[j] * inv);
  }
  return env.Undefined();
}

// ---------------------------------------------------------------------------------------------
Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  const int64_t n = ArgInt(info, 0, "setThreads", "threads", 1, 1024);
  openblas_set_num_threads(static_cast<int>(n));
  return info.Env().Undefined();
}

Napi::Value GetThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), openblas_get_num_threads());
}

Napi::Value Config(const Napi::CallbackInfo& info) {
  const char* c = openblas_get_config();
  return Napi::String::New(info.Env(), c ? c : "unknown");
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("matmul", Napi::Function::New(env, MatMul, "matmul"));
  exports.Set("conv2d", Napi::Function::New(env, Conv2D, "conv2d"));
  exports.Set("conv2dBackpropInput", Napi::Function::New(env, Conv2DBackpropInput, "conv2dBackpropInput"));
  exports.Set("conv2dBackpropFilter", Napi::Function::New(env, Conv2DBackpropFilter, "conv2dBackpropFilter"));
  exports.Set("softmax", Napi::Function::New(env, Softmax, "softmax"));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads, "setThreads"));
  exports.Set("getThreads", Napi::Function::New(env, GetThreads, "getThreads"));
  exports.Set("config", Napi::Function::New(env, Config, "config"));
  exports.Set("abiVersion", Napi::Number::New(env, 1));
  return exports;
}

}  // namespace

NODE_API_MODULE(courier_blas, Init)
