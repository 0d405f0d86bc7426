// courier_blas: BLAS-backed kernels for tfjs's CPU backend (see libs/native-kernels/README.md).
//
// Every entry point takes caller-allocated Float32Arrays (inputs and the output) plus integer
// shape parameters, checks that each buffer has exactly the length the shapes imply, and
// throws a JS error otherwise: a wrong call must never read or write out of bounds.
// Layouts are tfjs's: row-major, NHWC for images, HWIO ([fh, fw, in, out]) for filters.
#include <napi.h>
#include <cblas.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#if defined(COURIER_WITH_DNNL)
// oneDNN (Debian libdnnl-dev), found by probe-dnnl.js at build time: convolutions and their
// gradients run on it when present; the im2col + sgemm path below stays the fallback.
#include <oneapi/dnnl/dnnl.hpp>
#include <omp.h>
#include <map>
#include <memory>
#endif

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <functional>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

// Activation codes shared with src/kernels.ts (ACTIVATION_CODES).
enum Activation { kLinear = 0, kRelu = 1, kRelu6 = 2, kElu = 3, kSigmoid = 4, kLeakyRelu = 5, kPrelu = 6 };

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
// BLAS threading. OpenBLAS splits one GEMM across its threads and waits for all of them, which
// pays off for big products but costs a wake-up and a join per call; on a busy host a
// descheduled worker stalls the caller for a whole time slice. So products below
// g_parallelMacs multiply-adds run on the calling thread alone, bigger ones on g_threads.
int g_threads = 1;          // setThreads / the threads option
int g_activeThreads = -1;   // what OpenBLAS is currently set to
int64_t g_parallelMacs = int64_t(1) << 24;

void UseThreads(int n) {
  if (n != g_activeThreads) {
    openblas_set_num_threads(n);
    g_activeThreads = n;
  }
}

// Elementwise, broadcast-binary and reduction kernels (issue #21): with more than one thread
// configured and at least g_parallelElems elements to touch, they split their OUTPUTS into
// contiguous pieces that the calling thread and g_threads - 1 helper threads (KernelPool) take
// in turn. Every output is still computed by one thread in the same order as on the serial path
// (a reduction never splits one output's sum), so results are bit-identical for every thread
// count. With one thread or below the threshold the serial loops run unchanged. Off (2^50) until
// setParallelElems lowers it: registerNativeBackend sets 2^16 when parallelKernels is on, the
// same default as there, so raw addon calls and the backend agree.
int64_t g_parallelElems = int64_t(1) << 50;
std::atomic<int64_t> g_spinMicros{1000};  // how long an idle helper polls for the next piece of work before it sleeps
constexpr int64_t kPieceElems = int64_t(1) << 15;

// The thread count for a kernel touching `work` elements whose outputs split into `parts` pieces.
int KernelThreads(int64_t work, int64_t parts) {
  if (g_threads > 1 && work >= g_parallelElems && parts > 1) return static_cast<int>(std::min<int64_t>(g_threads, parts));
  return 1;
}

// How many pieces to cut `work` elements into (at most maxPieces): about 2^15 elements each, at
// least one per thread. More pieces than threads let the caller take a helper's share when the
// helper starts late (a sleeping thread can take a millisecond to run on a virtual machine).
int64_t PiecesFor(int64_t work, int64_t maxPieces, int nt) {
  return std::max<int64_t>(1, std::min<int64_t>({maxPieces, int64_t(256), std::max<int64_t>(nt, work / kPieceElems)}));
}

// Helper threads for the kernels above (OpenMP's join would make the caller wait for a helper
// that is still waking up; here the caller never waits for one that has not started a piece).
// Run() publishes a job; the caller and the helpers claim its pieces with an atomic counter
// until none are left, then the caller waits for the pieces in progress. A helper that wakes
// after the job is done finds no piece left. Helpers are started on first use, never stopped
// (detached; the pool is never freed, so process exit cannot destroy what they wait on), and
// poll for g_spinMicros after each job (yielding the core) before they sleep.
class KernelPool {
 public:
  void Run(int threads, int64_t pieces, const std::function<void(int64_t)>& body) {
    std::unique_lock<std::mutex> busy(runMu_, std::try_to_lock);
    if (!busy || threads <= 1) {  // another JS thread's job is running: do this one alone
      for (int64_t p = 0; p < pieces; ++p) body(p);
      return;
    }
    while (started_ < threads - 1 && started_ < 63) {
      std::thread([this] { Loop(); }).detach();
      ++started_;
    }
    auto job = std::make_shared<Job>();
    job->body = &body;
    job->pieces = pieces;
    job->slots.store(threads - 1);
    {
      std::lock_guard<std::mutex> lk(mu_);
      job_ = job;
      gen_.fetch_add(1, std::memory_order_release);
    }
    cv_.notify_all();
    Work(*job);
    while (job->done.load(std::memory_order_acquire) < pieces) std::this_thread::yield();
  }
  int Started() const { return started_; }

 private:
  struct Job {
    const std::function<void(int64_t)>* body = nullptr;
    int64_t pieces = 0;
    std::atomic<int64_t> next{0};
    std::atomic<int64_t> done{0};
    std::atomic<int> slots{0};
  };

  static void Work(Job& j) {
    for (;;) {
      const int64_t p = j.next.fetch_add(1, std::memory_order_relaxed);
      if (p >= j.pieces) return;
      (*j.body)(p);
      j.done.fetch_add(1, std::memory_order_release);
    }
  }

  void Loop() {
    uint64_t seen = 0;
    for (;;) {
      const auto t0 = std::chrono::steady_clock::now();
      while (gen_.load(std::memory_order_acquire) == seen &&
             std::chrono::steady_clock::now() - t0 < std::chrono::microseconds(g_spinMicros.load(std::memory_order_relaxed))) {
        std::this_thread::yield();
      }
      std::shared_ptr<Job> job;
      {
        std::unique_lock<std::mutex> lk(mu_);
        cv_.wait(lk, [&] { return gen_.load(std::memory_order_relaxed) != seen; });
        seen = gen_.load(std::memory_order_relaxed);
        job = job_;
      }
      if (job && job->slots.fetch_sub(1) > 0) Work(*job);
    }
  }

  std::mutex runMu_;  // one job at a time
  std::mutex mu_;     // job_ and gen_ changes, the helpers' sleep
  std::condition_variable cv_;
  std::shared_ptr<Job> job_;
  std::atomic<uint64_t> gen_{0};
  int started_ = 0;
};

KernelPool& Pool() {
  static KernelPool* pool = new KernelPool();  // never freed: detached helpers wait on it
  return *pool;
}

// f(begin, end) on `pieces` disjoint contiguous pieces covering [0, n) (inner boundaries rounded
// down to multiples of `align`: whole cache lines for float outputs), on nt threads.
template <typename F>
void ForPieces(int64_t n, int nt, int64_t pieces, int64_t align, F f) {
  if (nt <= 1 || pieces <= 1) {
    f(int64_t(0), n);
    return;
  }
  const std::function<void(int64_t)> body = [&](int64_t p) {
    const int64_t b = p == 0 ? 0 : (n * p / pieces) / align * align;
    const int64_t e = p == pieces - 1 ? n : (n * (p + 1) / pieces) / align * align;
    if (b < e) f(b, e);
  };
  Pool().Run(nt, pieces, body);
}

void Sgemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda,
           const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  UseThreads(M * N * K >= g_parallelMacs ? g_threads : 1);
  cblas_sgemm(CblasRowMajor, ta, tb, static_cast<int>(M), static_cast<int>(N), static_cast<int>(K), 1.f, A,
              static_cast<int>(lda), B, static_cast<int>(ldb), beta, C, static_cast<int>(ldc));
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
      Sgemm(transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, M, N, K, a.data + ia * M * K,
            lda, b.data + ib * K * N, ldb, 0.f, c, N);
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

// Fills col[i - r0, (r * FW + c) * C + ch] for output rows i in [r0, r1) (i = (b * OH + oy) * OW
// + ox) from x, zero outside the image.
void Im2Col(const ConvGeom& g, const float* x, int64_t r0, int64_t r1, float* col) {
  const int64_t K = g.K();
  const int64_t C = g.C;
  for (int64_t i = r0; i < r1; ++i) {
    const int64_t ox = i % g.OW;
    const int64_t oy = (i / g.OW) % g.OH;
    const int64_t b = i / (g.OW * g.OH);
    const float* xb = x + b * g.H * g.W * C;
    float* dst = col + (i - r0) * K;
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

// The adjoint of Im2Col: dx[b, iy, ix, ch] += col[...] for output rows [r0, r1).
void Col2Im(const ConvGeom& g, const float* col, int64_t r0, int64_t r1, float* dx) {
  const int64_t K = g.K();
  const int64_t C = g.C;
  for (int64_t i = r0; i < r1; ++i) {
    const int64_t ox = i % g.OW;
    const int64_t oy = (i / g.OW) % g.OH;
    const int64_t b = i / (g.OW * g.OH);
    float* xb = dx + b * g.H * g.W * C;
    const float* src = col + (i - r0) * K;
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

// Output rows per im2col chunk: the chunk's column buffer stays cache-sized so im2col writes
// and the GEMM's reads hit L2 instead of memory. Tunable for benchmarking (setConvChunk).
int64_t g_colChunkFloats = int64_t(1) << 16;  // 256 KiB
// With several BLAS threads a chunk is also made big enough for its GEMM to use them.
int64_t ChunkRows(const ConvGeom& g) {
  const int64_t k = std::max<int64_t>(1, g.K());
  int64_t rows = std::max<int64_t>(64, g_colChunkFloats / k);
  if (g_threads > 1) rows = std::max(rows, g_parallelMacs / (k * std::max<int64_t>(1, g.OC)) + 1);
  return rows;
}


#if defined(COURIER_WITH_DNNL)
// ---------------------------------------------------------------------------------------------
// oneDNN convolutions. Activations and gradients stay in tfjs's NHWC layout (oneDNN's "nhwc"
// tag) and filters in HWIO ("hwio"); oneDNN picks its own weight layout (format any) and the
// filter is reordered in and out. One primitive per (direction, geometry, bias, relu), cached.
// Anything the cache cannot describe (negative padding, a geometry oneDNN rejects) returns
// false and the caller runs the BLAS path.
bool g_useDnnl = true;

dnnl::engine& DnnlEngine() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}
dnnl::stream& DnnlStream() {
  static dnnl::stream s(DnnlEngine());
  return s;
}

struct DnnlConv {
  dnnl::memory::desc src, dst, weiUser, wei, bias;
  dnnl::primitive prim;
  std::string impl;
  bool needReorder = false;
  dnnl::reorder reorder;  // user filter -> wei (forward, backward data) or wei -> user (backward weights)
};

std::map<std::string, std::unique_ptr<DnnlConv>> g_dnnlCache;
std::string g_dnnlLastImpl;

bool DnnlShapes(const ConvGeom& g, dnnl::memory::dims* strides, dnnl::memory::dims* dil, dnnl::memory::dims* padL,
                dnnl::memory::dims* padR) {
  if (g.B <= 0 || g.H <= 0 || g.W <= 0 || g.C <= 0 || g.OH <= 0 || g.OW <= 0 || g.OC <= 0) return false;
  if (g.PT < 0 || g.PL < 0) return false;
  const int64_t kh = (g.FH - 1) * g.DH + 1;
  const int64_t kw = (g.FW - 1) * g.DW + 1;
  const int64_t pb = std::max<int64_t>(0, (g.OH - 1) * g.SH + kh - g.H - g.PT);
  const int64_t pr = std::max<int64_t>(0, (g.OW - 1) * g.SW + kw - g.W - g.PL);
  // oneDNN's output size (floor) must be the one tfjs computed.
  if ((g.H + g.PT + pb - kh) < 0 || (g.W + g.PL + pr - kw) < 0) return false;
  if ((g.H + g.PT + pb - kh) / g.SH + 1 != g.OH || (g.W + g.PL + pr - kw) / g.SW + 1 != g.OW) return false;
  *strides = {g.SH, g.SW};
  *dil = {g.DH - 1, g.DW - 1};
  *padL = {g.PT, g.PL};
  *padR = {pb, pr};
  return true;
}

std::string DnnlKey(char kind, const ConvGeom& g, bool bias, bool relu) {
  std::string k(1, kind);
  for (int64_t v : {g.B, g.H, g.W, g.C, g.OH, g.OW, g.OC, g.FH, g.FW, g.SH, g.SW, g.DH, g.DW, g.PT, g.PL}) {
    k += ',' + std::to_string(v);
  }
  k += bias ? "b" : "-";
  k += relu ? "r" : "-";
  return k;
}

// kind: 'f' forward (optional bias, optional fused relu), 'd' backward data, 'w' backward weights.
DnnlConv* DnnlGet(char kind, const ConvGeom& g, bool bias, bool relu) {
  using namespace dnnl;
  const std::string key = DnnlKey(kind, g, bias, relu);
  auto it = g_dnnlCache.find(key);
  if (it != g_dnnlCache.end()) return it->second.get();
  if (g_dnnlCache.size() > 256) g_dnnlCache.clear();
  memory::dims strides, dil, padL, padR;
  if (!DnnlShapes(g, &strides, &dil, &padL, &padR)) return nullptr;
  try {
    auto c = std::make_unique<DnnlConv>();
    const auto f32 = memory::data_type::f32;
    c->src = memory::desc({g.B, g.C, g.H, g.W}, f32, memory::format_tag::nhwc);
    c->dst = memory::desc({g.B, g.OC, g.OH, g.OW}, f32, memory::format_tag::nhwc);
    c->weiUser = memory::desc({g.OC, g.C, g.FH, g.FW}, f32, memory::format_tag::hwio);
    const memory::desc weiAny({g.OC, g.C, g.FH, g.FW}, f32, memory::format_tag::any);
    c->bias = memory::desc({g.OC}, f32, memory::format_tag::a);
    const auto alg = algorithm::convolution_direct;
    auto fwdDesc = bias && kind == 'f'
                       ? convolution_forward::desc(prop_kind::forward_training, alg, c->src, weiAny, c->bias, c->dst, strides, dil, padL, padR)
                       : convolution_forward::desc(prop_kind::forward_training, alg, c->src, weiAny, c->dst, strides, dil, padL, padR);
    primitive_attr attr;
    if (kind == 'f' && relu) {
      post_ops po;
      po.append_eltwise(1.f, algorithm::eltwise_relu, 0.f, 0.f);
      attr.set_post_ops(po);
    }
    convolution_forward::primitive_desc fwd(fwdDesc, attr, DnnlEngine());
    if (kind == 'f') {
      c->wei = fwd.weights_desc();
      c->prim = convolution_forward(fwd);
      c->impl = fwd.impl_info_str();
      c->needReorder = c->wei != c->weiUser;
      if (c->needReorder) c->reorder = dnnl::reorder(reorder::primitive_desc(DnnlEngine(), c->weiUser, DnnlEngine(), c->wei));
    } else if (kind == 'd') {
      convolution_backward_data::desc bd(alg, c->src, weiAny, c->dst, strides, dil, padL, padR);
      convolution_backward_data::primitive_desc pd(bd, DnnlEngine(), fwd);
      c->wei = pd.weights_desc();
      c->prim = convolution_backward_data(pd);
      c->impl = pd.impl_info_str();
      c->needReorder = c->wei != c->weiUser;
      if (c->needReorder) c->reorder = dnnl::reorder(reorder::primitive_desc(DnnlEngine(), c->weiUser, DnnlEngine(), c->wei));
    } else {
      convolution_backward_weights::desc wd(alg, c->src, weiAny, c->dst, strides, dil, padL, padR);
      convolution_backward_weights::primitive_desc pd(wd, DnnlEngine(), fwd);
      c->wei = pd.diff_weights_desc();
      c->prim = convolution_backward_weights(pd);
      c->impl = pd.impl_info_str();
      c->needReorder = c->wei != c->weiUser;
      if (c->needReorder) c->reorder = dnnl::reorder(reorder::primitive_desc(DnnlEngine(), c->wei, DnnlEngine(), c->weiUser));
    }
    DnnlConv* raw = c.get();
    g_dnnlCache.emplace(key, std::move(c));
    return raw;
  } catch (const dnnl::error&) {
    return nullptr;
  }
}

void DnnlSetThreads(int n) { omp_set_num_threads(n); }

// out = conv(x, w) (+ bias) (relu if fused). Returns false when oneDNN does not take this case.
// The filter as the primitive wants it: the caller's buffer, or a reordered copy of it when the
// primitive chose another weights layout (forward and backward-data read the filter).
static dnnl::memory DnnlWeightsIn(DnnlConv* c, const dnnl::engine& eng, dnnl::stream& st, const float* w) {
  dnnl::memory user(c->weiUser, eng, const_cast<float*>(w));
  if (!c->needReorder) return user;
  dnnl::memory wei(c->wei, eng);
  c->reorder.execute(st, user, wei);
  return wei;
}

bool DnnlConvForward(const ConvGeom& g, const float* x, const float* w, const float* bias, bool relu, float* out) {
  if (!g_useDnnl) return false;
  DnnlConv* c = DnnlGet('f', g, bias != nullptr, relu);
  if (!c) return false;
  using namespace dnnl;
  auto& eng = DnnlEngine();
  auto& st = DnnlStream();
  DnnlSetThreads(g_threads);
  memory src(c->src, eng, const_cast<float*>(x));
  memory dst(c->dst, eng, out);
  dnnl::memory wei = DnnlWeightsIn(c, eng, st, w);
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wei}, {DNNL_ARG_DST, dst}};
  if (bias) args.insert({DNNL_ARG_BIAS, memory(c->bias, eng, const_cast<float*>(bias))});
  c->prim.execute(st, args);
  st.wait();
  g_dnnlLastImpl = c->impl;
  return true;
}

bool DnnlConvBackwardData(const ConvGeom& g, const float* dy, const float* w, float* dx) {
  if (!g_useDnnl) return false;
  DnnlConv* c = DnnlGet('d', g, false, false);
  if (!c) return false;
  using namespace dnnl;
  auto& eng = DnnlEngine();
  auto& st = DnnlStream();
  DnnlSetThreads(g_threads);
  memory diffDst(c->dst, eng, const_cast<float*>(dy));
  memory diffSrc(c->src, eng, dx);
  dnnl::memory wei = DnnlWeightsIn(c, eng, st, w);
  c->prim.execute(st, {{DNNL_ARG_DIFF_DST, diffDst}, {DNNL_ARG_WEIGHTS, wei}, {DNNL_ARG_DIFF_SRC, diffSrc}});
  st.wait();
  g_dnnlLastImpl = c->impl;
  return true;
}

bool DnnlConvBackwardWeights(const ConvGeom& g, const float* x, const float* dy, float* dw) {
  if (!g_useDnnl) return false;
  DnnlConv* c = DnnlGet('w', g, false, false);
  if (!c) return false;
  using namespace dnnl;
  auto& eng = DnnlEngine();
  auto& st = DnnlStream();
  DnnlSetThreads(g_threads);
  memory src(c->src, eng, const_cast<float*>(x));
  memory diffDst(c->dst, eng, const_cast<float*>(dy));
  memory weiUser(c->weiUser, eng, dw);
  memory wei = c->needReorder ? memory(c->wei, eng) : weiUser;
  c->prim.execute(st, {{DNNL_ARG_SRC, src}, {DNNL_ARG_DIFF_DST, diffDst}, {DNNL_ARG_DIFF_WEIGHTS, wei}});
  if (c->needReorder) c->reorder.execute(st, wei, weiUser);
  st.wait();
  g_dnnlLastImpl = c->impl;
  return true;
}
#endif

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
  const int64_t total = g.B * g.Rows();
#if defined(COURIER_WITH_DNNL)
  {
    // Bias and ReLU are fused into the oneDNN primitive; other activations run as the epilogue.
    // A scalar bias (length 1) is added by the epilogue too.
    const bool fuseBias = bias.data != nullptr && bias.length == g.OC;
    const bool fuse = (act == kLinear || act == kRelu) && (fuseBias || bias.data == nullptr);
    if (DnnlConvForward(g, x.data, w.data, fuseBias ? bias.data : nullptr, fuse && act == kRelu, out.data)) {
      if (!fuse) Epilogue(out.data, total, g.OC, fuseBias ? F32{} : bias, act, leakyAlpha, prelu);
      return env.Undefined();
    }
  }
#endif
  const bool pointwise = g.Pointwise();
  const int64_t chunk = pointwise ? total : std::min(total, ChunkRows(g));
  std::vector<float> col(pointwise ? 0 : static_cast<size_t>(chunk * K));
  for (int64_t r0 = 0; r0 < total; r0 += chunk) {
    const int64_t rows = std::min(chunk, total - r0);
    const float* a = x.data + r0 * K;  // pointwise: x is its own im2col (K == C)
    if (!pointwise) {
      Im2Col(g, x.data, r0, r0 + rows, col.data());
      a = col.data();
    }
    float* c = out.data + r0 * g.OC;
    Sgemm(CblasNoTrans, CblasNoTrans, rows, g.OC, K, a, K, w.data, g.OC, 0.f, c, g.OC);
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
#if defined(COURIER_WITH_DNNL)
  if (DnnlConvBackwardData(g, dy.data, w.data, dx.data)) return env.Undefined();
#endif
  const int64_t total = g.B * g.Rows();
  const bool pointwise = g.Pointwise();
  const int64_t chunk = pointwise ? total : std::min(total, ChunkRows(g));
  std::vector<float> col(pointwise ? 0 : static_cast<size_t>(chunk * K));
  for (int64_t r0 = 0; r0 < total; r0 += chunk) {
    const int64_t rows = std::min(chunk, total - r0);
    float* c = pointwise ? dx.data + r0 * K : col.data();
    Sgemm(CblasNoTrans, CblasTrans, rows, K, g.OC, dy.data + r0 * g.OC, g.OC, w.data, g.OC, 0.f, c, K);
    if (!pointwise) Col2Im(g, col.data(), r0, r0 + rows, dx.data);
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
#if defined(COURIER_WITH_DNNL)
  if (DnnlConvBackwardWeights(g, x.data, dy.data, dw.data)) return env.Undefined();
#endif
  const int64_t total = g.B * g.Rows();
  const bool pointwise = g.Pointwise();
  const int64_t chunk = pointwise ? total : std::min(total, ChunkRows(g));
  std::vector<float> col(pointwise ? 0 : static_cast<size_t>(chunk * K));
  for (int64_t r0 = 0; r0 < total; r0 += chunk) {
    const int64_t rows = std::min(chunk, total - r0);
    const float* a = x.data + r0 * K;
    if (!pointwise) {
      Im2Col(g, x.data, r0, r0 + rows, col.data());
      a = col.data();
    }
    Sgemm(CblasTrans, CblasNoTrans, K, g.OC, rows, a, K, dy.data + r0 * g.OC, g.OC, r0 == 0 ? 0.f : 1.f, dw.data,
          g.OC);
  }
  return env.Undefined();
}

// reluBiasGrad(y, dy, dyMasked, db, rows, cols): the backward of bias + ReLU in one pass, for
// the fused conv block (ConvBiasRelu): dyMasked = dy where y > 0 else 0 (y is the block's
// output, relu(z) > 0 exactly when z > 0), db[j] = sum over rows of dyMasked[:, j] (double).
Napi::Value ReluBiasGrad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* fn = "reluBiasGrad";
  F32 y = ArgF32(info, 0, fn, "y");
  F32 dy = ArgF32(info, 1, fn, "dy");
  F32 dm = ArgF32(info, 2, fn, "dyMasked");
  F32 db = ArgF32(info, 3, fn, "db");
  const int64_t rows = ArgInt(info, 4, fn, "rows", 0, int64_t(1) << 40);
  const int64_t cols = ArgInt(info, 5, fn, "cols", 0);
  ExpectLength(env, fn, "y", y, rows * cols);
  ExpectLength(env, fn, "dy", dy, rows * cols);
  ExpectLength(env, fn, "dyMasked", dm, rows * cols);
  ExpectLength(env, fn, "db", db, cols);
  ExpectDisjoint(env, fn, dm, {y, dy, db});
  ExpectDisjoint(env, fn, db, {y, dy});
  const int nt = KernelThreads(rows * cols, cols);
  if (nt > 1) {
    // Columns split across threads: each db[j] sums its column in row order, as below.
    ForPieces(cols, nt, nt, 1, [&](int64_t j0, int64_t j1) {
      std::vector<double> acc(static_cast<size_t>(j1 - j0), 0.0);
      for (int64_t r = 0; r < rows; ++r) {
        const float* yr = y.data + r * cols;
        const float* dr = dy.data + r * cols;
        float* mr = dm.data + r * cols;
        for (int64_t j = j0; j < j1; ++j) {
          const float v = yr[j] > 0.f ? dr[j] : 0.f;
          mr[j] = v;
          acc[j - j0] += v;
        }
      }
      for (int64_t j = j0; j < j1; ++j) db.data[j] = static_cast<float>(acc[j - j0]);
    });
    return env.Undefined();
  }
  std::vector<double> acc(static_cast<size_t>(cols), 0.0);
  for (int64_t r = 0; r < rows; ++r) {
    const float* yr = y.data + r * cols;
    const float* dr = dy.data + r * cols;
    float* mr = dm.data + r * cols;
    for (int64_t j = 0; j < cols; ++j) {
      const float v = yr[j] > 0.f ? dr[j] : 0.f;
      mr[j] = v;
      acc[j] += v;
    }
  }
  for (int64_t j = 0; j < cols; ++j) db.data[j] = static_cast<float>(acc[j]);
  return env.Undefined();
}

// Softmax over the last axis of rows [r0, r1) (softmax below).
void SoftmaxRows(const float* x, float* out, int64_t r0, int64_t r1, int64_t cols) {
  for (int64_t r = r0; r < r1; ++r) {
    const float* xr = x + r * cols;
    float* o = out + r * cols;
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
  const int nt = KernelThreads(rows * cols, rows);
  ForPieces(rows, nt, PiecesFor(rows * cols, rows, nt), 1, [&](int64_t r0, int64_t r1) { SoftmaxRows(x.data, out.data, r0, r1, cols); });
  return env.Undefined();
}

// ---------------------------------------------------------------------------------------------
// Elementwise and reduction kernels. tfjs's pure-JS versions cost 3-10 ns per element (and
// far more when broadcasting or transposing), which dominates a training step once the
// matmuls go through BLAS. Values follow the JS kernels: transcendental functions are
// evaluated in double precision and rounded to float, NaN propagates like Math.max/min.

// Reads a JS array of non-negative integer dims (at most kMaxRank).
constexpr int kMaxRank = 8;
std::vector<int64_t> ArgShape(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name) {
  Napi::Env env = info.Env();
  if (info.Length() <= i || !info[i].IsArray()) Fail(env, std::string(fn) + ": " + name + " must be an array");
  Napi::Array arr = info[i].As<Napi::Array>();
  if (arr.Length() > kMaxRank) Fail(env, std::string(fn) + ": " + name + " has rank " + std::to_string(arr.Length()) + " > 8");
  std::vector<int64_t> dims(arr.Length());
  for (uint32_t k = 0; k < arr.Length(); ++k) {
    Napi::Value e = arr.Get(k);
    const double d = e.IsNumber() ? e.As<Napi::Number>().DoubleValue() : -1;
    if (!std::isfinite(d) || d != std::floor(d) || d < 0 || d > double(int64_t(1) << 40)) {
      Fail(env, std::string(fn) + ": " + name + "[" + std::to_string(k) + "] must be a non-negative integer");
    }
    dims[k] = static_cast<int64_t>(d);
  }
  return dims;
}

int64_t Product(const std::vector<int64_t>& dims) {
  int64_t p = 1;
  for (int64_t d : dims) p *= d;
  return p;
}

enum BinaryOp { kAdd = 0, kSub = 1, kMul = 2, kDiv = 3, kMax = 4, kMin = 5, kSquaredDiff = 6 };

template <int OP>
inline float BinaryValue(float a, float b) {
  if (OP == kAdd) return a + b;
  if (OP == kSub) return a - b;
  if (OP == kMul) return a * b;
  if (OP == kDiv) return a / b;
  if (OP == kMax) return (a != a || b != b) ? std::numeric_limits<float>::quiet_NaN() : (a > b ? a : b);
  if (OP == kMin) return (a != a || b != b) ? std::numeric_limits<float>::quiet_NaN() : (a < b ? a : b);
  const float d = a - b;
  return d * d;
}

// out = a op b over the last (collapsed) dim: sa / sb are 0 (broadcast) or 1 (contiguous).
template <int OP>
void BinaryRow(const float* a, int64_t sa, const float* b, int64_t sb, float* out, int64_t n) {
  if (sa == 1 && sb == 1) {
    for (int64_t i = 0; i < n; ++i) out[i] = BinaryValue<OP>(a[i], b[i]);
  } else if (sa == 0 && sb == 1) {
    const float av = a[0];
    for (int64_t i = 0; i < n; ++i) out[i] = BinaryValue<OP>(av, b[i]);
  } else if (sa == 1 && sb == 0) {
    const float bv = b[0];
    for (int64_t i = 0; i < n; ++i) out[i] = BinaryValue<OP>(a[i], bv);
  } else {
    const float v = BinaryValue<OP>(a[0], b[0]);
    for (int64_t i = 0; i < n; ++i) out[i] = v;
  }
}

// Broadcast binary op over the flat output range [begin, end): rows of the innermost dim, the
// outer dims walked as an odometer that updates the input offsets. A piece of a parallel run
// starts inside a row where the piece does.
template <int OP>
void BinaryStridedRange(const float* a, const float* b, float* out, const std::vector<int64_t>& shape,
                        const std::vector<int64_t>& sa, const std::vector<int64_t>& sb, int64_t begin, int64_t end) {
  const int rank = static_cast<int>(shape.size());
  const int64_t inner = shape[rank - 1];
  std::vector<int64_t> idx(rank, 0);
  int64_t oa = 0, ob = 0, rem = begin / inner, i = begin % inner;
  for (int d = rank - 2; d >= 0; --d) {
    idx[d] = rem % shape[d];
    rem /= shape[d];
    oa += idx[d] * sa[d];
    ob += idx[d] * sb[d];
  }
  for (int64_t pos = begin; pos < end; i = 0) {
    const int64_t len = std::min(inner - i, end - pos);
    BinaryRow<OP>(a + oa + i * sa[rank - 1], sa[rank - 1], b + ob + i * sb[rank - 1], sb[rank - 1], out + pos, len);
    pos += len;
    for (int d = rank - 2; d >= 0; --d) {
      if (++idx[d] < shape[d]) {
        oa += sa[d];
        ob += sb[d];
        break;
      }
      oa -= sa[d] * (shape[d] - 1);
      ob -= sb[d] * (shape[d] - 1);
      idx[d] = 0;
    }
  }
}

// Serial (one thread, or a small output): the whole output in one range; else pieces of the
// flat output on KernelThreads threads (elementwise, so the same values).
template <int OP>
void BinaryRun(const float* a, const float* b, float* out, int64_t n, const std::vector<int64_t>& shape,
               const std::vector<int64_t>& sa, const std::vector<int64_t>& sb) {
  const int nt = KernelThreads(n, n / 4096);
  if (n == 0) return;
  if (nt <= 1) {
    BinaryStridedRange<OP>(a, b, out, shape, sa, sb, 0, n);
    return;
  }
  ForPieces(n, nt, PiecesFor(n, n / 16, nt), 16, [&](int64_t b0, int64_t b1) { BinaryStridedRange<OP>(a, b, out, shape, sa, sb, b0, b1); });
}

// binary(op, a, aShape, b, bShape, out): numpy broadcasting, out has the broadcast size.
Napi::Value Binary(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* fn = "binary";
  const int op = static_cast<int>(ArgInt(info, 0, fn, "op", kAdd, kSquaredDiff));
  F32 a = ArgF32(info, 1, fn, "a");
  std::vector<int64_t> aShape = ArgShape(info, 2, fn, "aShape");
  F32 b = ArgF32(info, 3, fn, "b");
  std::vector<int64_t> bShape = ArgShape(info, 4, fn, "bShape");
  F32 out = ArgF32(info, 5, fn, "out");
  ExpectLength(env, fn, "a", a, Product(aShape));
  ExpectLength(env, fn, "b", b, Product(bShape));
  // Broadcast shape, then collapse: drop size-1 output dims and merge neighbours that have
  // the same broadcast pattern on both sides.
  const size_t rank = std::max(aShape.size(), bShape.size());
  std::vector<int64_t> pa(rank, 1), pb(rank, 1), po(rank);
  std::copy(aShape.begin(), aShape.end(), pa.begin() + (rank - aShape.size()));
  std::copy(bShape.begin(), bShape.end(), pb.begin() + (rank - bShape.size()));
  for (size_t d = 0; d < rank; ++d) {
    if (pa[d] != pb[d] && pa[d] != 1 && pb[d] != 1) {
      Fail(env, std::string(fn) + ": shapes cannot be broadcast (dim " + std::to_string(d) + ": " +
                    std::to_string(pa[d]) + " vs " + std::to_string(pb[d]) + ")");
    }
    po[d] = pa[d] == 1 ? pb[d] : pa[d];
  }
  ExpectLength(env, fn, "out", out, Product(po));
  if (out.length == 0) return env.Undefined();
  if (!((out.data == a.data && a.length == out.length) || (out.data == b.data && b.length == out.length))) {
    ExpectDisjoint(env, fn, out, {a, b});
  }
  std::vector<int64_t> shape, ba, bb;  // collapsed dims and whether a / b are broadcast there
  for (size_t d = 0; d < rank; ++d) {
    if (po[d] == 1) continue;
    const int64_t fa = pa[d] == 1, fb = pb[d] == 1;
    if (!shape.empty() && ba.back() == fa && bb.back() == fb) {
      shape.back() *= po[d];
    } else {
      shape.push_back(po[d]);
      ba.push_back(fa);
      bb.push_back(fb);
    }
  }
  if (shape.empty()) {
    shape.push_back(1);
    ba.push_back(0);
    bb.push_back(0);
  }
  const int r = static_cast<int>(shape.size());
  std::vector<int64_t> sa(r), sb(r);
  int64_t stA = 1, stB = 1;
  for (int d = r - 1; d >= 0; --d) {
    sa[d] = ba[d] ? 0 : stA;
    sb[d] = bb[d] ? 0 : stB;
    if (!ba[d]) stA *= shape[d];
    if (!bb[d]) stB *= shape[d];
  }
  // The inner loop needs unit (or zero) strides; after collapsing the last dim always has them.
  const int64_t n = out.length;
  switch (op) {
    case kAdd: BinaryRun<kAdd>(a.data, b.data, out.data, n, shape, sa, sb); break;
    case kSub: BinaryRun<kSub>(a.data, b.data, out.data, n, shape, sa, sb); break;
    case kMul: BinaryRun<kMul>(a.data, b.data, out.data, n, shape, sa, sb); break;
    case kDiv: BinaryRun<kDiv>(a.data, b.data, out.data, n, shape, sa, sb); break;
    case kMax: BinaryRun<kMax>(a.data, b.data, out.data, n, shape, sa, sb); break;
    case kMin: BinaryRun<kMin>(a.data, b.data, out.data, n, shape, sa, sb); break;
    default: BinaryRun<kSquaredDiff>(a.data, b.data, out.data, n, shape, sa, sb); break;
  }
  return env.Undefined();
}

enum UnaryOp {
  kNeg = 0, kExp = 1, kLog = 2, kSqrt = 3, kRsqrt = 4, kSquare = 5, kAbs = 6, kUReLU = 7, kUReLU6 = 8,
  kUSigmoid = 9, kTanh = 10, kStep = 11, kReciprocal = 12, kUElu = 13, kULeakyRelu = 14, kLastUnary = 14
};

template <typename F>
void Map(const float* x, float* out, int64_t n, F f) {
  const int nt = KernelThreads(n, n / 4096);
  if (nt <= 1) {
    for (int64_t i = 0; i < n; ++i) out[i] = f(x[i]);
    return;
  }
  ForPieces(n, nt, PiecesFor(n, n / 16, nt), 16, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) out[i] = f(x[i]);
  });
}

// unary(op, x, out, alpha): alpha is Step's value for x <= 0 and LeakyRelu's slope.
Napi::Value Unary(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* fn = "unary";
  const int op = static_cast<int>(ArgInt(info, 0, fn, "op", 0, kLastUnary));
  F32 x = ArgF32(info, 1, fn, "x");
  F32 out = ArgF32(info, 2, fn, "out");
  const float alpha = static_cast<float>(ArgNumber(info, 3, fn, "alpha"));
  ExpectLength(env, fn, "out", out, x.length);
  if (out.data != x.data) ExpectDisjoint(env, fn, out, {x});
  const int64_t n = x.length;
  const float* xs = x.data;
  float* o = out.data;
  switch (op) {
    case kNeg: Map(xs, o, n, [](float v) { return -v; }); break;
    case kExp: Map(xs, o, n, [](float v) { return static_cast<float>(std::exp(static_cast<double>(v))); }); break;
    case kLog: Map(xs, o, n, [](float v) { return static_cast<float>(std::log(static_cast<double>(v))); }); break;
    case kSqrt: Map(xs, o, n, [](float v) { return static_cast<float>(std::sqrt(static_cast<double>(v))); }); break;
    case kRsqrt: Map(xs, o, n, [](float v) { return static_cast<float>(1.0 / std::sqrt(static_cast<double>(v))); }); break;
    case kSquare: Map(xs, o, n, [](float v) { return v * v; }); break;
    case kAbs: Map(xs, o, n, [](float v) { return std::fabs(v); }); break;
    case kUReLU: Map(xs, o, n, [](float v) { return v < 0.f ? 0.f : v; }); break;
    case kUReLU6: Map(xs, o, n, [](float v) { return v < 0.f ? 0.f : (v > 6.f ? 6.f : v); }); break;
    case kUSigmoid:
      Map(xs, o, n, [](float v) { return static_cast<float>(1.0 / (1.0 + std::exp(-static_cast<double>(v)))); });
      break;
    case kTanh: Map(xs, o, n, [](float v) { return static_cast<float>(std::tanh(static_cast<double>(v))); }); break;
    case kStep: Map(xs, o, n, [alpha](float v) { return v != v ? v : (v > 0.f ? 1.f : alpha); }); break;
    case kReciprocal: Map(xs, o, n, [](float v) { return 1.f / v; }); break;
    case kUElu:
      Map(xs, o, n, [](float v) { return v >= 0.f ? v : static_cast<float>(std::expm1(static_cast<double>(v))); });
      break;
    default: Map(xs, o, n, [alpha](float v) { return v < 0.f ? alpha * v : v; }); break;
  }
  return env.Undefined();
}

enum ReduceOp { kRSum = 0, kRMean = 1, kRMax = 2, kRMin = 3 };

// The reduction below over outputs [o0, o1) x [i0, i1) of [outer, inner]: each output
// accumulates over r = 0 .. red-1 in order, exactly as the serial loop does.
void ReduceBlock(int op, const float* x, float* out, int64_t o0, int64_t o1, int64_t red, int64_t inner, int64_t i0,
                 int64_t i1) {
  std::vector<double> acc(static_cast<size_t>(i1 - i0));
  for (int64_t o = o0; o < o1; ++o) {
    const float* xo = x + o * red * inner;
    float* dst = out + o * inner;
    if (op == kRSum || op == kRMean) {
      if (inner == 1) {
        double s = 0;
        for (int64_t r = 0; r < red; ++r) s += xo[r];
        dst[0] = static_cast<float>(op == kRMean ? s / double(red) : s);
        continue;
      }
      std::fill(acc.begin(), acc.end(), 0.0);
      for (int64_t r = 0; r < red; ++r) {
        const float* row = xo + r * inner;
        for (int64_t i = i0; i < i1; ++i) acc[i - i0] += row[i];
      }
      for (int64_t i = i0; i < i1; ++i) dst[i] = static_cast<float>(op == kRMean ? acc[i - i0] / double(red) : acc[i - i0]);
    } else {
      const bool isMax = op == kRMax;
      for (int64_t i = i0; i < i1; ++i) dst[i] = xo[i];
      for (int64_t r = 1; r < red; ++r) {
        const float* row = xo + r * inner;
        for (int64_t i = i0; i < i1; ++i) {
          const float v = row[i];
          const float c = dst[i];
          if (c != c) continue;
          if (v != v || (isMax ? v > c : v < c)) dst[i] = v;
        }
      }
    }
  }
}

// reduce(op, x, out, outer, reduce, inner): x viewed as [outer, reduce, inner], out as
// [outer, inner]. Sums accumulate in double (as the JS kernels do); max/min propagate NaN.
// Large ones split their outputs across threads (the outer rows, or the inner columns when
// there are fewer rows than threads); a single output (outer = inner = 1) stays on one thread.
Napi::Value Reduce(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* fn = "reduce";
  const int op = static_cast<int>(ArgInt(info, 0, fn, "op", kRSum, kRMin));
  F32 x = ArgF32(info, 1, fn, "x");
  F32 out = ArgF32(info, 2, fn, "out");
  const int64_t outer = ArgInt(info, 3, fn, "outer", 0, int64_t(1) << 40);
  const int64_t red = ArgInt(info, 4, fn, "reduce", 1, int64_t(1) << 40);
  const int64_t inner = ArgInt(info, 5, fn, "inner", 0, int64_t(1) << 40);
  ExpectLength(env, fn, "x", x, outer * red * inner);
  ExpectLength(env, fn, "out", out, outer * inner);
  ExpectDisjoint(env, fn, out, {x});
  const bool byRows = outer >= g_threads || outer >= inner;
  const int nt = KernelThreads(outer * red * inner, byRows ? outer : inner);
  if (nt > 1) {
    if (byRows) {
      ForPieces(outer, nt, PiecesFor(outer * red * inner, outer, nt), 1, [&](int64_t o0, int64_t o1) { ReduceBlock(op, x.data, out.data, o0, o1, red, inner, 0, inner); });
    } else {
      // One piece per thread: each piece reads all of x (strided), so more would cost memory passes.
      ForPieces(inner, nt, nt, 1, [&](int64_t i0, int64_t i1) { ReduceBlock(op, x.data, out.data, 0, outer, red, inner, i0, i1); });
    }
    return env.Undefined();
  }
  ReduceBlock(op, x.data, out.data, 0, outer, red, inner, 0, inner);
  return env.Undefined();
}

// transpose(x, shape, perm, out): out = x.transpose(perm) (out shape = shape[perm]).
Napi::Value Transpose(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* fn = "transpose";
  F32 x = ArgF32(info, 0, fn, "x");
  std::vector<int64_t> shape = ArgShape(info, 1, fn, "shape");
  std::vector<int64_t> perm = ArgShape(info, 2, fn, "perm");
  F32 out = ArgF32(info, 3, fn, "out");
  const size_t rank = shape.size();
  if (perm.size() != rank) Fail(env, std::string(fn) + ": perm has length " + std::to_string(perm.size()) + ", expected " + std::to_string(rank));
  std::vector<bool> seen(rank, false);
  for (int64_t p : perm) {
    if (p >= static_cast<int64_t>(rank) || seen[p]) Fail(env, std::string(fn) + ": perm is not a permutation of 0.." + std::to_string(rank - 1));
    seen[p] = true;
  }
  ExpectLength(env, fn, "x", x, Product(shape));
  ExpectLength(env, fn, "out", out, x.length);
  ExpectDisjoint(env, fn, out, {x});
  if (x.length == 0) return env.Undefined();
  // Input strides, then drop size-1 dims and merge output-adjacent dims that are also
  // adjacent (and in order) in the input.
  std::vector<int64_t> inStride(rank);
  int64_t st = 1;
  for (size_t d = rank; d-- > 0;) {
    inStride[d] = st;
    st *= shape[d];
  }
  std::vector<int64_t> dims, strides;  // output-order dims and their input strides
  for (size_t k = 0; k < rank; ++k) {
    const int64_t dim = shape[perm[k]];
    if (dim == 1) continue;
    const int64_t s = inStride[perm[k]];
    if (!dims.empty() && strides.back() == s * dim) {
      dims.back() *= dim;
      strides.back() = s;
    } else {
      dims.push_back(dim);
      strides.push_back(s);
    }
  }
  if (dims.empty()) {
    out.data[0] = x.data[0];
    return env.Undefined();
  }
  const int r = static_cast<int>(dims.size());
  const int64_t inner = dims[r - 1];
  const int64_t is = strides[r - 1];
  const int64_t rows = x.length / inner;
  std::vector<int64_t> idx(r, 0);
  int64_t off = 0;
  float* o = out.data;
  for (int64_t row = 0; row < rows; ++row) {
    const float* src = x.data + off;
    if (is == 1) {
      std::memcpy(o, src, sizeof(float) * inner);
    } else {
      for (int64_t i = 0; i < inner; ++i) o[i] = src[i * is];
    }
    o += inner;
    for (int d = r - 2; d >= 0; --d) {
      if (++idx[d] < dims[d]) {
        off += strides[d];
        break;
      }
      off -= strides[d] * (dims[d] - 1);
      idx[d] = 0;
    }
  }
  return env.Undefined();
}

// ---------------------------------------------------------------------------------------------
Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  const int64_t n = ArgInt(info, 0, "setThreads", "threads", 1, 1024);
  g_threads = static_cast<int>(n);
  UseThreads(g_threads);
  return info.Env().Undefined();
}

// setConvChunk(floats): im2col chunk size (benchmarking knob; default 2^16 floats = 256 KiB).
Napi::Value SetConvChunk(const Napi::CallbackInfo& info) {
  g_colChunkFloats = ArgInt(info, 0, "setConvChunk", "floats", 1, int64_t(1) << 34);
  return info.Env().Undefined();
}

// The configured thread count (big GEMMs use this many; small ones run single-threaded).
Napi::Value GetThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), g_threads);
}

// setParallelMacs(macs): GEMMs with fewer multiply-adds run single-threaded (benchmarking knob).
Napi::Value SetParallelMacs(const Napi::CallbackInfo& info) {
  g_parallelMacs = ArgInt(info, 0, "setParallelMacs", "macs", 0, int64_t(1) << 50);
  return info.Env().Undefined();
}

// setParallelElems(elems) -> the previous value: elementwise and reduction kernels touching
// fewer elements run on the calling thread (default 2^16; benchmarking and test knob).
// setParallelSpin(micros) -> the previous value: how long an idle helper polls before it sleeps.
// parallelKernels() -> { minElems, spinMicros, helpers (started so far) }.
Napi::Value SetParallelElems(const Napi::CallbackInfo& info) {
  const int64_t before = g_parallelElems;
  g_parallelElems = ArgInt(info, 0, "setParallelElems", "elems", 1, int64_t(1) << 50);
  return Napi::Number::New(info.Env(), static_cast<double>(before));
}

Napi::Value SetParallelSpin(const Napi::CallbackInfo& info) {
  const int64_t before = g_spinMicros.load();
  g_spinMicros.store(ArgInt(info, 0, "setParallelSpin", "micros", 0, int64_t(1) << 30));
  return Napi::Number::New(info.Env(), static_cast<double>(before));
}

Napi::Value ParallelKernels(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("minElems", static_cast<double>(g_parallelElems));
  o.Set("spinMicros", static_cast<double>(g_spinMicros.load()));
  o.Set("helpers", Pool().Started());
  return o;
}

// tuneMalloc(mmapThresholdBytes, trimThresholdBytes) -> boolean (false where not glibc).
// tfjs allocates a fresh Float32Array for every kernel output. glibc serves blocks above its
// mmap threshold with mmap and unmaps them on free, so every large output pays page faults on
// first touch (a 4 MB matmul output: ~15% of the 1024 GEMM). Raising the thresholds keeps
// such blocks in the heap for reuse; the price is up to trimThreshold of freed memory kept.
Napi::Value TuneMalloc(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsNumber()) Fail(env, "tuneMalloc: expected (mmapThresholdBytes, trimThresholdBytes)");
  const double mmapBytes = info[0].As<Napi::Number>().DoubleValue();
  const double trimBytes = info[1].As<Napi::Number>().DoubleValue();
  if (!(mmapBytes >= 0 && mmapBytes <= 2147483647.0) || !(trimBytes >= 0 && trimBytes <= 2147483647.0)) {
    Fail(env, "tuneMalloc: thresholds must be byte counts between 0 and 2^31-1");
  }
#if defined(__GLIBC__)
  const bool ok = mallopt(M_MMAP_THRESHOLD, static_cast<int>(mmapBytes)) == 1 && mallopt(M_TRIM_THRESHOLD, static_cast<int>(trimBytes)) == 1;
  return Napi::Boolean::New(env, ok);
#else
  return Napi::Boolean::New(env, false);
#endif
}

// dnnl() -> { version, enabled, lastImpl } when built with oneDNN, else null.
Napi::Value Dnnl(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
#if defined(COURIER_WITH_DNNL)
  const dnnl_version_t* v = dnnl_version();
  Napi::Object o = Napi::Object::New(env);
  o.Set("version", std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch));
  o.Set("enabled", g_useDnnl);
  o.Set("lastImpl", g_dnnlLastImpl);
  o.Set("cached", static_cast<double>(g_dnnlCache.size()));
  return o;
#else
  return env.Null();
#endif
}

// setDnnl(on) -> whether convolutions now run on oneDNN (false when not built with it).
Napi::Value SetDnnl(const Napi::CallbackInfo& info) {
#if defined(COURIER_WITH_DNNL)
  g_useDnnl = ArgBool(info, 0);
  return Napi::Boolean::New(info.Env(), g_useDnnl);
#else
  return Napi::Boolean::New(info.Env(), false);
#endif
}

Napi::Value Config(const Napi::CallbackInfo& info) {
  const char* c = openblas_get_config();
  return Napi::String::New(info.Env(), c ? c : "unknown");
}

// ---------------------------------------------------------------------------------------------
// Typed-array kernels for hand-written forward/backward passes (libs/amazon-bench, issue #23):
// CSR sparse-dense products, an in-place Adam update and tf.dropout's seeded mask. Each one
// reproduces the JavaScript loop it replaces bit for bit (src/fused.ts keeps those loops as the
// fallback): arithmetic is done in double where JS does it and rounded to float32 where JS
// stores into a Float32Array.

struct I32 {
  const int32_t* data = nullptr;
  int64_t length = 0;
};

I32 ArgI32(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name) {
  if (info.Length() <= i || !info[i].IsTypedArray() ||
      info[i].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    Fail(info.Env(), std::string(fn) + ": argument " + std::to_string(i) + " (" + name + ") must be an Int32Array");
  }
  Napi::Int32Array a = info[i].As<Napi::Int32Array>();
  return I32{a.Data(), static_cast<int64_t>(a.ElementLength())};
}

// F64 arrays for per-row scalars (cosine rows).
struct F64 {
  double* data = nullptr;
  int64_t length = 0;
};

F64 ArgF64(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name) {
  if (info.Length() <= i || !info[i].IsTypedArray() ||
      info[i].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
    Fail(info.Env(), std::string(fn) + ": argument " + std::to_string(i) + " (" + name + ") must be a Float64Array");
  }
  Napi::Float64Array a = info[i].As<Napi::Float64Array>();
  return F64{a.Data(), static_cast<int64_t>(a.ElementLength())};
}

// The CSR row loop. Its float <-> double conversions vectorise 4 wide with AVX2 against 2 with
// the SSE2 baseline the addon is built for, so an AVX2 copy is picked at run time (same
// operations in the same order: the same bits; -ffp-contract=off keeps multiply and add apart).
[[gnu::always_inline]] inline void SpmmRows(const int32_t* rowPtr, const int32_t* col, const float* val, const float* x,
                                            float* out, int64_t rows, int64_t d, bool leaky, float alpha) {
  for (int64_t r = 0; r < rows; ++r) {
    float* o = out + r * d;
    std::fill(o, o + d, 0.f);
    for (int64_t k = rowPtr[r]; k < rowPtr[r + 1]; ++k) {
      const double w = val[k];
      if (w == 0.0) continue;
      const float* xs = x + static_cast<int64_t>(col[k]) * d;
      for (int64_t j = 0; j < d; ++j) o[j] = static_cast<float>(static_cast<double>(o[j]) + w * static_cast<double>(xs[j]));
    }
    if (leaky) {
      for (int64_t j = 0; j < d; ++j) o[j] = o[j] < 0.f ? alpha * o[j] : o[j];
    }
  }
}

void SpmmRowsBase(const int32_t* rowPtr, const int32_t* col, const float* val, const float* x, float* out, int64_t rows,
                  int64_t d, bool leaky, float alpha) {
  SpmmRows(rowPtr, col, val, x, out, rows, d, leaky, alpha);
}

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx2"))) void SpmmRowsAvx2(const int32_t* rowPtr, const int32_t* col, const float* val,
                                                  const float* x, float* out, int64_t rows, int64_t d, bool leaky,
                                                  float alpha) {
  SpmmRows(rowPtr, col, val, x, out, rows, d, leaky, alpha);
}
bool CpuHasAvx2() {
  static const bool has = __builtin_cpu_supports("avx2");
  return has;
}
#else
void SpmmRowsAvx2(const int32_t* rowPtr, const int32_t* col, const float* val, const float* x, float* out,
                  int64_t rows, int64_t d, bool leaky, float alpha) {
  SpmmRows(rowPtr, col, val, x, out, rows, d, leaky, alpha);
}
bool CpuHasAvx2() { return false; }
#endif

// spmmCsr(rowPtr, col, val, x, out, rows, inRows, d):
//   out[r, :] = sum over k in [rowPtr[r], rowPtr[r+1]) of val[k] * x[col[k], :], in k order.
// Each step is `o = float(double(o) + double(w) * double(x))`, i.e. exactly JS's
// `out[t] += w * x[s]` on a Float32Array, so with the edges of a row in edge-list order the
// result equals the edge loop's bit for bit. Zero weights are skipped as the JS loop does. The
// transposed product is the same call on the transposed CSR (built once by the caller).
Napi::Value SpmmCsr(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* fn = "spmmCsr";
  I32 rowPtr = ArgI32(info, 0, fn, "rowPtr");
  I32 col = ArgI32(info, 1, fn, "col");
  F32 val = ArgF32(info, 2, fn, "val");
  F32 x = ArgF32(info, 3, fn, "x");
  F32 out = ArgF32(info, 4, fn, "out");
  const int64_t rows = ArgInt(info, 5, fn, "rows", 0);
  const int64_t inRows = ArgInt(info, 6, fn, "inRows", 0);
  const int64_t d = ArgInt(info, 7, fn, "d", 0);
  if (rowPtr.length != rows + 1) {
    Fail(env, std::string(fn) + ": rowPtr has length " + std::to_string(rowPtr.length) + ", expected " + std::to_string(rows + 1));
  }
  const int64_t nnz = col.length;
  ExpectLength(env, fn, "val", val, nnz);
  ExpectLength(env, fn, "x", x, inRows * d);
  ExpectLength(env, fn, "out", out, rows * d);
  ExpectDisjoint(env, fn, out, {x, val});
  if (rowPtr.data[0] != 0 || rowPtr.data[rows] != nnz) Fail(env, std::string(fn) + ": rowPtr must run from 0 to col.length");
  for (int64_t r = 0; r < rows; ++r) {
    if (rowPtr.data[r + 1] < rowPtr.data[r]) Fail(env, std::string(fn) + ": rowPtr decreases at row " + std::to_string(r));
  }
  for (int64_t k = 0; k < nnz; ++k) {
    if (col.data[k] < 0 || col.data[k] >= inRows) {
      Fail(env, std::string(fn) + ": col[" + std::to_string(k) + "] = " + std::to_string(col.data[k]) + " outside [0, " + std::to_string(inRows) + ")");
    }
  }
  // Optional epilogue: leakyAlpha given -> out = leakyRelu(A x) (the LeakyRelu kernel's
  // `v < 0 ? alpha v : v` in float32).
  const bool leaky = info.Length() > 8 && info[8].IsNumber();
  const float alpha = leaky ? static_cast<float>(info[8].As<Napi::Number>().DoubleValue()) : 0.f;
  if (CpuHasAvx2()) {
    SpmmRowsAvx2(rowPtr.data, col.data, val.data, x.data, out.data, rows, d, leaky, alpha);
  } else {
    SpmmRowsBase(rowPtr.data, col.data, val.data, x.data, out.data, rows, d, leaky, alpha);
  }
  return env.Undefined();
}

// addLeakyRelu(a, b, out, alpha): out = leakyRelu(a + b) in float32 (tfjs's Add then LeakyRelu).
Napi::Value AddLeakyRelu(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* fn = "addLeakyRelu";
  F32 a = ArgF32(info, 0, fn, "a");
  F32 b = ArgF32(info, 1, fn, "b");
  F32 out = ArgF32(info, 2, fn, "out");
  const float alpha = static_cast<float>(ArgNumber(info, 3, fn, "alpha"));
  ExpectLength(env, fn, "b", b, a.length);
  ExpectLength(env, fn, "out", out, a.length);
  ExpectDisjoint(env, fn, out, {a, b});
  for (int64_t i = 0; i < a.length; ++i) {
    const float v = a.data[i] + b.data[i];
    out.data[i] = v < 0.f ? alpha * v : v;
  }
  return env.Undefined();
}

// rowsOp(mode, x, idx, d, out): mode 0 gathers out[r] = x[idx[r]] (out [idx.length, d]);
// mode 1 scatter-adds out[idx[r]] += x[r] in r order (float32 adds, duplicates summed in order,
// as the JS loop), x [idx.length, d] into out [n, d]. Every index is checked against out / x.
Napi::Value RowsOp(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* fn = "rowsOp";
  const int64_t mode = ArgInt(info, 0, fn, "mode", 0, 1);
  F32 x = ArgF32(info, 1, fn, "x");
  I32 idx = ArgI32(info, 2, fn, "idx");
  const int64_t d = ArgInt(info, 3, fn, "d", 1);
  F32 out = ArgF32(info, 4, fn, "out");
  ExpectDisjoint(env, fn, out, {x});
  const F32& table = mode == 0 ? x : out;
  const F32& rows = mode == 0 ? out : x;
  ExpectLength(env, fn, mode == 0 ? "out" : "x", rows, idx.length * d);
  if (table.length % d != 0) Fail(env, std::string(fn) + ": the table's length is not a multiple of d");
  const int64_t n = table.length / d;
  for (int64_t r = 0; r < idx.length; ++r) {
    if (idx.data[r] < 0 || idx.data[r] >= n) Fail(env, std::string(fn) + ": idx[" + std::to_string(r) + "] = " + std::to_string(idx.data[r]) + " outside [0, " + std::to_string(n) + ")");
  }
  for (int64_t r = 0; r < idx.length; ++r) {
    const int64_t t = static_cast<int64_t>(idx.data[r]) * d;
    if (mode == 0) {
      std::memcpy(out.data + r * d, x.data + t, static_cast<size_t>(d) * sizeof(float));
    } else {
      float* o = out.data + t;
      const float* y = x.data + r * d;
      for (int64_t k = 0; k < d; ++k) o[k] += y[k];
    }
  }
  return env.Undefined();
}

// colSums(x, rows, d, acc): acc[k] += sum over r of x[r, k], in double, r in order.
Napi::Value ColSums(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* fn = "colSums";
  F32 x = ArgF32(info, 0, fn, "x");
  const int64_t rows = ArgInt(info, 1, fn, "rows", 0);
  const int64_t d = ArgInt(info, 2, fn, "d", 0);
  F64 acc = ArgF64(info, 3, fn, "acc");
  ExpectLength(env, fn, "x", x, rows * d);
  if (acc.length != d) Fail(env, std::string(fn) + ": acc must have length d");
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x.data + r * d;
    for (int64_t k = 0; k < d; ++k) acc.data[k] += static_cast<double>(xr[k]);
  }
  return env.Undefined();
}

// leakyReluGrad(y, dy, out, alpha): out = dy * step(y) with step = 1 where y > 0, alpha
// elsewhere, NaN where y is NaN (tfjs's Step(alpha) then Multiply; y = leakyRelu(z) has the sign
// of z, so the mask can be read from the output).
Napi::Value LeakyReluGrad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* fn = "leakyReluGrad";
  F32 y = ArgF32(info, 0, fn, "y");
  F32 dy = ArgF32(info, 1, fn, "dy");
  F32 out = ArgF32(info, 2, fn, "out");
  const float alpha = static_cast<float>(ArgNumber(info, 3, fn, "alpha"));
  ExpectLength(env, fn, "dy", dy, y.length);
  ExpectLength(env, fn, "out", out, y.length);
  ExpectDisjoint(env, fn, out, {y});
  for (int64_t i = 0; i < y.length; ++i) {
    const float v = y.data[i];
    const float s = v != v ? v : (v > 0.f ? 1.f : alpha);
    out.data[i] = dy.data[i] * s;
  }
  return env.Undefined();
}

// adamStep(w, g | null, m, v, out, a, e2, beta1, beta2, weightDecay): torch 1.13's Adam as
// MmrecAdam writes it (src/train.ts in libs/amazon-bench), m and v updated in place:
//   g' = g + wd w;  m = b1 m + (1 - b1) g';  v = b2 v + (1 - b2) g'^2;
//   out = w - a m / (sqrt(v) + e2)   with a = lr sqrt(1 - b2^t) / (1 - b1^t), e2 = eps sqrt(1 - b2^t).
// The update uses the double m and v before they are rounded into the arrays (as JS's
// `const mi = (m[i] = ...)` does). Without a gradient (a variable the loss did not reach) g = 0.
// `out` may be `w` itself.
Napi::Value AdamStep(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* fn = "adamStep";
  F32 w = ArgF32(info, 0, fn, "w");
  F32 g = ArgOptF32(info, 1, fn, "g");
  F32 m = ArgF32(info, 2, fn, "m");
  F32 v = ArgF32(info, 3, fn, "v");
  F32 out = ArgF32(info, 4, fn, "out");
  const double a = ArgNumber(info, 5, fn, "a");
  const double e2 = ArgNumber(info, 6, fn, "e2");
  const double b1 = ArgNumber(info, 7, fn, "beta1");
  const double b2 = ArgNumber(info, 8, fn, "beta2");
  const double wd = ArgNumber(info, 9, fn, "weightDecay");
  const int64_t n = w.length;
  if (g.data != nullptr) ExpectLength(env, fn, "g", g, n);
  ExpectLength(env, fn, "m", m, n);
  ExpectLength(env, fn, "v", v, n);
  ExpectLength(env, fn, "out", out, n);
  ExpectDisjoint(env, fn, m, {w, g, v, out});
  ExpectDisjoint(env, fn, v, {w, g, out});
  if (out.data != w.data) ExpectDisjoint(env, fn, out, {w, g});
  else ExpectDisjoint(env, fn, out, {g});
  const double b1c = 1 - b1;
  const double b2c = 1 - b2;
  float* o = out.data;
  const float* wv = w.data;
  if (g.data != nullptr) {
    const float* gv = g.data;
    for (int64_t i = 0; i < n; ++i) {
      const double wi = wv[i];
      const double gi = wd > 0 ? gv[i] + wd * wi : static_cast<double>(gv[i]);
      const double mi = b1 * m.data[i] + b1c * gi;
      const double vi = b2 * v.data[i] + b2c * gi * gi;
      m.data[i] = static_cast<float>(mi);
      v.data[i] = static_cast<float>(vi);
      o[i] = static_cast<float>(wi - (a * mi) / (std::sqrt(vi) + e2));
    }
  } else {
    for (int64_t i = 0; i < n; ++i) {
      const double mi = b1 * m.data[i];
      const double vi = b2 * v.data[i];
      m.data[i] = static_cast<float>(mi);
      v.data[i] = static_cast<float>(vi);
      o[i] = static_cast<float>(wv[i] - (a * mi) / (std::sqrt(vi) + e2));
    }
  }
  return env.Undefined();
}

// dropoutRows(state, keep, x, n, d, idx | null, out): tf.dropout(x, 1 - keep, seed) on an
// [n, d] table, with seedrandom's alea stream (state = [c, s0, s1, s2] after seeding, a
// Float64Array advanced in place) drawn for every element in row-major order:
//   mult = floor(float(float(u) + keep)) / keep (rounded to float32), out = x * mult,
// all rows (idx null, out [n, d]) or only the rows idx (out [idx.length, d]).
Napi::Value DropoutRows(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* fn = "dropoutRows";
  if (info.Length() < 1 || !info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array ||
      info[0].As<Napi::Float64Array>().ElementLength() != 4) {
    Fail(env, std::string(fn) + ": state must be a Float64Array of length 4");
  }
  double* st = info[0].As<Napi::Float64Array>().Data();
  const double keepArg = ArgNumber(info, 1, fn, "keep");
  F32 x = ArgF32(info, 2, fn, "x");
  const int64_t n = ArgInt(info, 3, fn, "n", 0);
  const int64_t d = ArgInt(info, 4, fn, "d", 0);
  const bool rowsOnly = info.Length() > 5 && !info[5].IsNull() && !info[5].IsUndefined();
  I32 idx;
  if (rowsOnly) idx = ArgI32(info, 5, fn, "idx");
  F32 out = ArgF32(info, 6, fn, "out");
  ExpectLength(env, fn, "x", x, n * d);
  ExpectLength(env, fn, "out", out, (rowsOnly ? idx.length : n) * d);
  ExpectDisjoint(env, fn, out, {x});
  for (int64_t r = 0; r < idx.length; ++r) {
    if (idx.data[r] < 0 || idx.data[r] >= n) Fail(env, std::string(fn) + ": idx[" + std::to_string(r) + "] outside [0, " + std::to_string(n) + ")");
  }
  const double keep = static_cast<float>(keepArg);
  // alea is a multiply-with-carry generator: t = 2091639 s0 + c 2^-32, c = floor(t), s = t - c.
  // Seeded states are multiples of 2^-32 (c an integer), so it runs exactly in integers,
  // T = 2091639 S0 + C < 2^53, C = T >> 32, S = T mod 2^32, with s = S 2^-32: the same values
  // as the double recurrence, but the carry chain is an add and a shift instead of a multiply,
  // an add and two conversions (~4x faster).
  const double kUnit = 2.3283064365386963e-10;  // 2^-32
  for (int q = 0; q < 4; ++q) {
    const double scaled = q == 0 ? st[0] : st[q] * 4294967296.0;
    if (!(scaled >= 0 && scaled < (q == 0 ? 2097152.0 : 4294967296.0)) || scaled != std::floor(scaled)) {
      Fail(env, std::string(fn) + ": state is not an alea state ([c, s0, s1, s2], c < 2^21 an integer, s in [0, 1) multiples of 2^-32)");
    }
  }
  uint64_t C = static_cast<uint64_t>(st[0]);
  uint64_t S0 = static_cast<uint64_t>(st[1] * 4294967296.0);
  uint64_t S1 = static_cast<uint64_t>(st[2] * 4294967296.0);
  uint64_t S2 = static_cast<uint64_t>(st[3] * 4294967296.0);
  const int64_t total = n * d;
  std::vector<float> mult(rowsOnly ? static_cast<size_t>(total) : 0);
  float* mv = rowsOnly ? mult.data() : out.data;
  for (int64_t i = 0; i < total; ++i) {
    const uint64_t t = 2091639ull * S0 + C;
    S0 = S1;
    S1 = S2;
    C = t >> 32;
    S2 = t & 0xffffffffull;
    const float u = static_cast<float>(static_cast<double>(S2) * kUnit);
    const float sum = static_cast<float>(static_cast<double>(u) + keep);
    mv[i] = static_cast<float>(std::floor(static_cast<double>(sum)) / keep);
  }
  st[0] = static_cast<double>(C);
  st[1] = static_cast<double>(S0) * kUnit;
  st[2] = static_cast<double>(S1) * kUnit;
  st[3] = static_cast<double>(S2) * kUnit;
  if (!rowsOnly) {
    for (int64_t i = 0; i < total; ++i) out.data[i] *= x.data[i];
  } else {
    for (int64_t r = 0; r < idx.length; ++r) {
      const int64_t s = static_cast<int64_t>(idx.data[r]) * d;
      for (int64_t k = 0; k < d; ++k) out.data[r * d + k] = x.data[s + k] * mult[s + k];
    }
  }
  return env.Undefined();
}

// cosineRows(a, t, n, d, eps, c, na, nb): per row of two [n, d] tables, in double and in k
// order (as the JS loop): na = |a_r|, nb = |t_r|, c = a_r.t_r / max(na nb, eps) (torch's
// F.cosine_similarity; NaN propagates as Math.max does).
Napi::Value CosineRows(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* fn = "cosineRows";
  F32 a = ArgF32(info, 0, fn, "a");
  F32 t = ArgF32(info, 1, fn, "t");
  const int64_t n = ArgInt(info, 2, fn, "n", 0);
  const int64_t d = ArgInt(info, 3, fn, "d", 0);
  const double eps = ArgNumber(info, 4, fn, "eps");
  F64 c = ArgF64(info, 5, fn, "c");
  F64 na = ArgF64(info, 6, fn, "na");
  F64 nb = ArgF64(info, 7, fn, "nb");
  ExpectLength(env, fn, "a", a, n * d);
  ExpectLength(env, fn, "t", t, n * d);
  if (c.length != n || na.length != n || nb.length != n) Fail(env, std::string(fn) + ": c, na and nb must have length n");
  for (int64_t r = 0; r < n; ++r) {
    const float* ar = a.data + r * d;
    const float* tr = t.data + r * d;
    double dot = 0, sa = 0, sb = 0;
    for (int64_t k = 0; k < d; ++k) {
      const double x = ar[k];
      const double y = tr[k];
      dot += x * y;
      sa += x * x;
      sb += y * y;
    }
    na.data[r] = std::sqrt(sa);
    nb.data[r] = std::sqrt(sb);
    const double prod = na.data[r] * nb.data[r];
    c.data[r] = dot / (std::isnan(prod) ? prod : std::max(prod, eps));
  }
  return env.Undefined();
}

// cosineGrad(a, t, c, na, nb, coef, n, d, eps, out): out_r += coef d cos(a_r, t_r) / d a_r,
//   = s t_r - ca a_r with s = coef / max(na nb, eps), ca = coef c / na^2 (0 when na nb < eps),
// in double, then rounded into out (the JS `out[k] += s * t[k] - ca * a[k]`).
Napi::Value CosineGrad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* fn = "cosineGrad";
  F32 a = ArgF32(info, 0, fn, "a");
  F32 t = ArgF32(info, 1, fn, "t");
  F64 c = ArgF64(info, 2, fn, "c");
  F64 na = ArgF64(info, 3, fn, "na");
  F64 nb = ArgF64(info, 4, fn, "nb");
  const double coef = ArgNumber(info, 5, fn, "coef");
  const int64_t n = ArgInt(info, 6, fn, "n", 0);
  const int64_t d = ArgInt(info, 7, fn, "d", 0);
  const double eps = ArgNumber(info, 8, fn, "eps");
  F32 out = ArgF32(info, 9, fn, "out");
  ExpectLength(env, fn, "a", a, n * d);
  ExpectLength(env, fn, "t", t, n * d);
  ExpectLength(env, fn, "out", out, n * d);
  ExpectDisjoint(env, fn, out, {a, t});
  if (c.length != n || na.length != n || nb.length != n) Fail(env, std::string(fn) + ": c, na and nb must have length n");
  for (int64_t r = 0; r < n; ++r) {
    const double prod = na.data[r] * nb.data[r];
    const double s = prod >= eps ? coef / prod : coef / eps;
    const double ca = prod >= eps ? (coef * c.data[r]) / (na.data[r] * na.data[r]) : 0;
    const float* ar = a.data + r * d;
    const float* tr = t.data + r * d;
    float* o = out.data + r * d;
    for (int64_t k = 0; k < d; ++k) {
      o[k] = static_cast<float>(static_cast<double>(o[k]) + (s * static_cast<double>(tr[k]) - ca * static_cast<double>(ar[k])));
    }
  }
  return env.Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  g_threads = std::max(1, openblas_get_num_threads());
  g_activeThreads = g_threads;
  exports.Set("matmul", Napi::Function::New(env, MatMul, "matmul"));
  exports.Set("conv2d", Napi::Function::New(env, Conv2D, "conv2d"));
  exports.Set("conv2dBackpropInput", Napi::Function::New(env, Conv2DBackpropInput, "conv2dBackpropInput"));
  exports.Set("conv2dBackpropFilter", Napi::Function::New(env, Conv2DBackpropFilter, "conv2dBackpropFilter"));
  exports.Set("softmax", Napi::Function::New(env, Softmax, "softmax"));
  exports.Set("binary", Napi::Function::New(env, Binary, "binary"));
  exports.Set("unary", Napi::Function::New(env, Unary, "unary"));
  exports.Set("reduce", Napi::Function::New(env, Reduce, "reduce"));
  exports.Set("transpose", Napi::Function::New(env, Transpose, "transpose"));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads, "setThreads"));
  exports.Set("getThreads", Napi::Function::New(env, GetThreads, "getThreads"));
  exports.Set("setConvChunk", Napi::Function::New(env, SetConvChunk, "setConvChunk"));
  exports.Set("setParallelMacs", Napi::Function::New(env, SetParallelMacs, "setParallelMacs"));
  exports.Set("setParallelElems", Napi::Function::New(env, SetParallelElems, "setParallelElems"));
  exports.Set("setParallelSpin", Napi::Function::New(env, SetParallelSpin, "setParallelSpin"));
  exports.Set("parallelKernels", Napi::Function::New(env, ParallelKernels, "parallelKernels"));
  exports.Set("config", Napi::Function::New(env, Config, "config"));
  exports.Set("tuneMalloc", Napi::Function::New(env, TuneMalloc, "tuneMalloc"));
  exports.Set("dnnl", Napi::Function::New(env, Dnnl, "dnnl"));
  exports.Set("reluBiasGrad", Napi::Function::New(env, ReluBiasGrad, "reluBiasGrad"));
  exports.Set("setDnnl", Napi::Function::New(env, SetDnnl, "setDnnl"));
  exports.Set("spmmCsr", Napi::Function::New(env, SpmmCsr, "spmmCsr"));
  exports.Set("adamStep", Napi::Function::New(env, AdamStep, "adamStep"));
  exports.Set("dropoutRows", Napi::Function::New(env, DropoutRows, "dropoutRows"));
  exports.Set("cosineRows", Napi::Function::New(env, CosineRows, "cosineRows"));
  exports.Set("cosineGrad", Napi::Function::New(env, CosineGrad, "cosineGrad"));
  exports.Set("leakyReluGrad", Napi::Function::New(env, LeakyReluGrad, "leakyReluGrad"));
  exports.Set("addLeakyRelu", Napi::Function::New(env, AddLeakyRelu, "addLeakyRelu"));
  exports.Set("rowsOp", Napi::Function::New(env, RowsOp, "rowsOp"));
  exports.Set("colSums", Napi::Function::New(env, ColSums, "colSums"));
  exports.Set("abiVersion", Napi::Number::New(env, 3));
  return exports;
}

}  // namespace

NODE_API_MODULE(courier_blas, Init)
