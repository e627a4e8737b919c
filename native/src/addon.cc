// N-API bindings for ligo_native: unpacks JS arguments (typed arrays are used in place through
// their data pointers, never copied), validates sizes so a bad call throws instead of reading
// out of bounds, and forwards to the kernels. src/tensor/native.ts wraps these functions into
// the Backend interface of src/tensor/backend.ts; argument order follows that interface.
#include <node_api.h>

#include <cmath>
#include <string>

#include "kernels.h"

namespace ligo {
namespace {

const char* typedArrayName(napi_typedarray_type t) {
  switch (t) {
    case napi_int8_array: return "Int8Array";
    case napi_uint8_array: return "Uint8Array";
    case napi_uint8_clamped_array: return "Uint8ClampedArray";
    case napi_int16_array: return "Int16Array";
    case napi_uint16_array: return "Uint16Array";
    case napi_int32_array: return "Int32Array";
    case napi_uint32_array: return "Uint32Array";
    case napi_float32_array: return "Float32Array";
    case napi_float64_array: return "Float64Array";
    case napi_bigint64_array: return "BigInt64Array";
    case napi_biguint64_array: return "BigUint64Array";
    default: return "typed array";
  }
}

/** A typed-array argument: its element type, element count and data pointer. */
struct View {
  napi_typedarray_type type;
  i64 length;
  void* data;
};

/** The arguments of one call, with typed accessors that throw KernelError on misuse. */
class Args {
 public:
  static constexpr size_t kMax = 16;

  Args(napi_env env, napi_callback_info info) : env_(env) {
    void* data = nullptr;
    napi_get_cb_info(env, info, &argc_, argv_, nullptr, &data);
    fn_ = static_cast<const char*>(data);
  }

  const char* fn() const { return fn_; }
  napi_env env() const { return env_; }

  View view(size_t i, const char* name) const {
    View v{};
    size_t len = 0;
    napi_value buffer;
    size_t byteOffset;
    if (i >= argc_ || napi_get_typedarray_info(env_, argv_[i], &v.type, &len, &v.data, &buffer, &byteOffset) != napi_ok)
      throwType(prefix(name) + "must be a typed array");
    v.length = i64(len);
    return v;
  }

  float* f32(size_t i, const char* name, i64 minLength) const {
    const View v = view(i, name);
    if (v.type != napi_float32_array) {
      std::string msg = prefix(name) + "must be a Float32Array, got " + typedArrayName(v.type);
      if (v.type == napi_float64_array) msg += " (the native backend is float32-only; use the reference backend)";
      throwType(msg);
    }
    requireLength(v, name, minLength);
    return static_cast<float*>(v.data);
  }

  int32_t* i32(size_t i, const char* name, i64 minLength) const {
    const View v = view(i, name);
    if (v.type != napi_int32_array)
      throwType(prefix(name) + "must be an Int32Array, got " + typedArrayName(v.type));
    requireLength(v, name, minLength);
    return static_cast<int32_t*>(v.data);
  }

  bool isNull(size_t i) const {
    napi_valuetype t = napi_undefined;
    if (i < argc_) napi_typeof(env_, argv_[i], &t);
    return t == napi_null || t == napi_undefined;
  }

  double num(size_t i, const char* name) const {
    double d;
    if (i >= argc_ || napi_get_value_double(env_, argv_[i], &d) != napi_ok) throwType(prefix(name) + "must be a number");
    return d;
  }

  /** A non-negative integer (sizes, counts). */
  i64 size(size_t i, const char* name) const {
    const i64 v = integer(i, name);
    if (v < 0) throwRange(prefix(name) + "must be non-negative, got " + std::to_string(v));
    return v;
  }

  /** Any integer of at most 2^53 in magnitude (strides, offsets, ignore index). */
  i64 integer(size_t i, const char* name) const {
    const double d = num(i, name);
    if (!(std::fabs(d) <= 9007199254740992.0) || d != std::floor(d))
      throwRange(prefix(name) + "must be an integer, got " + std::to_string(d));
    return i64(d);
  }

  uint32_t u32(size_t i, const char* name) const {
    uint32_t u;
    if (i >= argc_ || napi_get_value_uint32(env_, argv_[i], &u) != napi_ok) throwType(prefix(name) + "must be a number");
    return u;
  }

  bool flag(size_t i, const char* name) const {
    bool b;
    if (i < argc_ && napi_get_value_bool(env_, argv_[i], &b) == napi_ok) return b;
    return num(i, name) != 0.0;
  }

  std::string prefix(const char* name) const { return std::string("ligo_native.") + fn_ + ": " + name + " "; }

  void requireLength(const View& v, const char* name, i64 minLength) const {
    if (v.length < minLength)
      throwRange(prefix(name) + "has " + std::to_string(v.length) + " elements, needs at least " +
                 std::to_string(minLength));
  }

 private:
  napi_env env_;
  size_t argc_ = kMax;
  napi_value argv_[kMax];
  const char* fn_ = "?";
};

// ---------------------------------------------------------------------------------------------
// Size helpers

/** Reads a shape plus two stride lists and checks every addressed element is in bounds. */
StridedShape readStrided(const Args& a, size_t shapeArg, size_t strideA, const char* nameA, i64 offA, i64 lenA,
                         size_t strideB, const char* nameB, i64 offB, i64 lenB, i64* count) {
  const View shape = a.view(shapeArg, "shape");
  if (shape.type != napi_int32_array) throwType(a.prefix("shape") + "must be an Int32Array");
  if (shape.length > kMaxRank)
    throwRange(a.prefix("shape") + "rank " + std::to_string(shape.length) + " is above " + std::to_string(kMaxRank));
  const int rank = int(shape.length);
  const int32_t* sh = static_cast<int32_t*>(shape.data);
  const int32_t* sa = a.i32(strideA, nameA, rank);
  const int32_t* sb = a.i32(strideB, nameB, rank);
  StridedShape d;
  d.rank = rank;
  i64 n = 1, loA = offA, hiA = offA, loB = offB, hiB = offB;
  for (int j = 0; j < rank; j++) {
    if (sh[j] < 0) throwRange(a.prefix("shape") + "has a negative dimension");
    d.shape[j] = sh[j];
    d.sa[j] = sa[j];
    d.sb[j] = sb[j];
    n *= sh[j];
    if (sh[j] == 0) continue;
    const i64 spanA = i64(sa[j]) * (sh[j] - 1), spanB = i64(sb[j]) * (sh[j] - 1);
    (spanA < 0 ? loA : hiA) += spanA;
    (spanB < 0 ? loB : hiB) += spanB;
  }
  if (n > 0 && (loA < 0 || hiA >= lenA))
    throwRange(a.prefix(nameA) + "address elements [" + std::to_string(loA) + ", " + std::to_string(hiA) +
               "] outside its array of " + std::to_string(lenA));
  if (n > 0 && (loB < 0 || hiB >= lenB))
    throwRange(a.prefix(nameB) + "address elements [" + std::to_string(loB) + ", " + std::to_string(hiB) +
               "] outside its array of " + std::to_string(lenB));
  *count = n;
  return d;
}

/** a * b * ..., saturating at INT64_MAX so that absurd sizes fail the length checks. */
template <class... Rest>
i64 extent(i64 a, Rest... rest) {
  i64 r = a;
  for (i64 b : {i64(rest)...})
    if (__builtin_mul_overflow(r, b, &r)) return INT64_MAX;
  return r;
}

/** Elements spanned by `batch` matrices of `size` elements, `stride` apart. */
i64 matExtent(i64 batch, i64 stride, i64 size) {
  if (batch == 0 || size == 0) return 0;
  i64 r;
  if (__builtin_mul_overflow(batch - 1, stride, &r) || __builtin_add_overflow(r, size, &r)) return INT64_MAX;
  return r;
}

napi_value number(napi_env env, double d) {
  napi_value v;
  napi_create_double(env, d, &v);
  return v;
}

napi_value undefined(napi_env env) {
  napi_value v;
  napi_get_undefined(env, &v);
  return v;
}

// ---------------------------------------------------------------------------------------------
// Bindings (argument order as in src/tensor/backend.ts)

napi_value Fill(const Args& a) {
  const View v = a.view(0, "out");
  float* out = a.f32(0, "out", 0);
  fill(out, v.length, float(a.num(1, "value")));
  return undefined(a.env());
}

napi_value Matmul(const Args& a) {
  MatmulArgs m;
  m.batch = a.size(3, "batch");
  m.m = a.size(4, "m");
  m.n = a.size(5, "n");
  m.k = a.size(6, "k");
  m.transA = a.flag(7, "transA");
  m.transB = a.flag(8, "transB");
  m.strideA = a.size(9, "strideA");
  m.strideB = a.size(10, "strideB");
  m.strideC = a.size(11, "strideC");
  for (i64 v : {m.m, m.n, m.k, m.strideA, m.strideB, m.strideC})
    if (v > INT32_MAX) throwRange(a.prefix("sizes") + "exceed the 32-bit limits of BLAS");
  m.alpha = float(a.num(12, "alpha"));
  m.beta = float(a.num(13, "beta"));
  const float* A = a.f32(0, "a", matExtent(m.batch, m.strideA, extent(m.m, m.k)));
  const float* B = a.f32(1, "b", matExtent(m.batch, m.strideB, extent(m.k, m.n)));
  float* C = a.f32(2, "c", matExtent(m.batch, m.strideC, extent(m.m, m.n)));
  matmul(A, B, C, m);
  return undefined(a.env());
}

UnaryOp unaryOp(const Args& a, size_t i) {
  const i64 op = a.integer(i, "op");
  if (op < 0 || op >= i64(UnaryOp::Count)) throwRange(a.prefix("op") + std::to_string(op) + " is not a UnaryOp");
  return UnaryOp(op);
}

napi_value Unary(const Args& a) {
  const UnaryOp op = unaryOp(a, 0);
  const i64 n = a.view(1, "x").length;
  unary(op, a.f32(1, "x", 0), a.f32(2, "out", n), n, float(a.num(3, "param")));
  return undefined(a.env());
}

napi_value UnaryBackward(const Args& a) {
  const UnaryOp op = unaryOp(a, 0);
  const i64 n = a.view(4, "gx").length;
  unaryBackward(op, a.f32(1, "x", n), a.f32(2, "y", n), a.f32(3, "gy", n), a.f32(4, "gx", 0), n,
                float(a.num(5, "param")));
  return undefined(a.env());
}

napi_value Binary(const Args& a) {
  const i64 op = a.integer(0, "op");
  if (op < 0 || op >= i64(BinaryOp::Count)) throwRange(a.prefix("op") + std::to_string(op) + " is not a BinaryOp");
  const float* A = a.f32(1, "a", 0);
  const float* B = a.f32(3, "b", 0);
  i64 n = 0;
  const StridedShape d = readStrided(a, 6, 2, "aStrides", 0, a.view(1, "a").length, 4, "bStrides", 0, a.view(3, "b").length, &n);
  binary(BinaryOp(op), A, B, a.f32(5, "out", n), d);
  return undefined(a.env());
}

napi_value Where(const Args& a) {
  const i64 n = a.view(3, "out").length;
  float* out = a.f32(3, "out", 0);
  const float* A = a.f32(1, "a", n);
  const float* B = a.f32(2, "b", n);
  if (a.view(0, "cond").type == napi_int32_array)
    whereI(a.i32(0, "cond", n), A, B, out, n);
  else
    whereF(a.f32(0, "cond", n), A, B, out, n);
  return undefined(a.env());
}

napi_value Reduce(const Args& a) {
  const i64 op = a.integer(0, "op");
  if (op < 0 || op >= i64(ReduceOp::Count)) throwRange(a.prefix("op") + std::to_string(op) + " is not a ReduceOp");
  const i64 outer = a.size(2, "outer"), r = a.size(3, "r"), inner = a.size(4, "inner");
  reduce(ReduceOp(op), a.f32(1, "x", extent(outer, r, inner)), outer, r, inner, a.f32(5, "out", extent(outer, inner)));
  return undefined(a.env());
}

napi_value ReduceMaxBackward(const Args& a) {
  const i64 outer = a.size(3, "outer"), r = a.size(4, "r"), inner = a.size(5, "inner");
  reduceMaxBackward(a.f32(0, "x", extent(outer, r, inner)), a.f32(1, "y", extent(outer, inner)), a.f32(2, "gy", extent(outer, inner)),
                    outer, r, inner, a.f32(6, "gx", extent(outer, r, inner)));
  return undefined(a.env());
}

// copyStrided(src, srcOffset, srcStrides, dst, dstOffset, dstStrides, shape, accumulate)
napi_value CopyStrided(const Args& a) {
  const View src = a.view(0, "src"), dst = a.view(3, "dst");
  const i64 srcOff = a.integer(1, "src offset"), dstOff = a.integer(4, "dst offset");
  const bool acc = a.flag(7, "accumulate");
  i64 n = 0;
  const StridedShape d = readStrided(a, 6, 2, "srcView", srcOff, src.length, 5, "dstView", dstOff, dst.length, &n);
  if (src.type == napi_int32_array && dst.type == napi_int32_array) {
    copyStrided(a.i32(0, "src", 0) + srcOff, a.i32(3, "dst", 0) + dstOff, d, acc);
  } else {
    copyStrided(a.f32(0, "src", 0) + srcOff, a.f32(3, "dst", 0) + dstOff, d, acc);
  }
  return undefined(a.env());
}

napi_value Softmax(const Args& a) {
  const i64 rows = a.size(1, "rows"), cols = a.size(2, "cols");
  softmax(a.f32(0, "x", extent(rows, cols)), rows, cols, a.f32(3, "out", extent(rows, cols)), a.flag(4, "log"));
  return undefined(a.env());
}

napi_value SoftmaxBackward(const Args& a) {
  const i64 rows = a.size(2, "rows"), cols = a.size(3, "cols");
  softmaxBackward(a.f32(0, "y", extent(rows, cols)), a.f32(1, "gy", extent(rows, cols)), rows, cols, a.f32(4, "gx", extent(rows, cols)),
                  a.flag(5, "log"));
  return undefined(a.env());
}

napi_value MaskedSoftmax(const Args& a) {
  const i64 batch = a.size(1, "batch"), heads = a.size(2, "heads"), tq = a.size(3, "tq"), tk = a.size(4, "tk");
  const int32_t* keyMask = a.isNull(7) ? nullptr : a.i32(7, "keyMask", extent(batch, tk));
  maskedSoftmax(a.f32(0, "s", extent(batch, heads, tq, tk)), batch, heads, tq, tk, float(a.num(5, "scale")),
                a.flag(6, "causal"), keyMask);
  return undefined(a.env());
}

napi_value LayerNorm(const Args& a) {
  const i64 rows = a.size(3, "rows"), cols = a.size(4, "cols");
  layerNorm(a.f32(0, "x", extent(rows, cols)), a.f32(1, "gamma", cols), a.f32(2, "beta", cols), rows, cols,
            float(a.num(5, "eps")), a.f32(6, "out", extent(rows, cols)), a.f32(7, "mean", rows), a.f32(8, "rstd", rows));
  return undefined(a.env());
}

napi_value LayerNormBackward(const Args& a) {
  const i64 rows = a.size(5, "rows"), cols = a.size(6, "cols");
  layerNormBackward(a.f32(0, "x", extent(rows, cols)), a.f32(1, "gamma", cols), a.f32(2, "mean", rows),
                    a.f32(3, "rstd", rows), a.f32(4, "gy", extent(rows, cols)), rows, cols, a.f32(7, "gx", extent(rows, cols)),
                    a.f32(8, "ggamma", cols), a.f32(9, "gbeta", cols));
  return undefined(a.env());
}

napi_value Gather(const Args& a) {
  const i64 vocab = a.size(1, "vocab"), cols = a.size(2, "cols");
  const i64 n = a.view(3, "ids").length;
  const int32_t* ids = a.i32(3, "ids", 0);
  const float* table = a.f32(0, "table", extent(vocab, cols));
  float* out = a.f32(4, "out", extent(n, cols));
  checkIds("gather", ids, n, vocab);
  gather(table, cols, ids, n, out);
  return undefined(a.env());
}

napi_value ScatterAdd(const Args& a) {
  const i64 cols = a.size(2, "cols");
  const i64 n = a.view(1, "ids").length;
  const int32_t* ids = a.i32(1, "ids", 0);
  const View table = a.view(3, "gtable");
  float* gtable = a.f32(3, "gtable", 0);
  const float* gy = a.f32(0, "gy", extent(n, cols));
  checkIds("scatterAdd", ids, n, cols == 0 ? INT64_MAX : table.length / cols);
  scatterAdd(gy, ids, n, cols, gtable);
  return undefined(a.env());
}

napi_value CrossEntropy(const Args& a) {
  const i64 rows = a.size(2, "rows"), cols = a.size(3, "cols");
  const double loss = crossEntropy(a.f32(0, "logits", extent(rows, cols)), a.i32(1, "targets", rows), rows, cols,
                                   a.integer(4, "ignoreIndex"), a.f32(5, "lse", rows));
  return number(a.env(), loss);
}

napi_value CrossEntropyBackward(const Args& a) {
  const i64 rows = a.size(3, "rows"), cols = a.size(4, "cols");
  crossEntropyBackward(a.f32(0, "logits", extent(rows, cols)), a.i32(1, "targets", rows), a.f32(2, "lse", rows), rows, cols,
                       a.integer(5, "ignoreIndex"), float(a.num(6, "scale")), a.f32(7, "gx", extent(rows, cols)));
  return undefined(a.env());
}

napi_value DropoutMask(const Args& a) {
  const double p = a.num(1, "p");
  if (!(p >= 0.0 && p <= 1.0)) throwRange(a.prefix("p") + "must be in [0, 1], got " + std::to_string(p));
  const View v = a.view(2, "out");
  dropoutMask(a.u32(0, "seed"), p, a.f32(2, "out", 0), v.length);
  return undefined(a.env());
}

napi_value SumSquares(const Args& a) {
  const View v = a.view(0, "x");
  return number(a.env(), sumSquares(a.f32(0, "x", 0), v.length));
}

napi_value AdamW(const Args& a) {
  const i64 n = a.view(0, "p").length;
  adamw(a.f32(0, "p", 0), a.f32(1, "g", n), a.f32(2, "m", n), a.f32(3, "v", n), n, a.num(4, "lr"),
        a.num(5, "beta1"), a.num(6, "beta2"), a.num(7, "eps"), a.num(8, "weightDecay"), a.num(9, "step"),
        a.num(10, "gradScale"));
  return undefined(a.env());
}

napi_value NumThreads(const Args& a) { return number(a.env(), maxThreads()); }

napi_value SetNumThreads(const Args& a) {
  const i64 n = a.size(0, "threads");
  if (n < 1) throwRange(a.prefix("threads") + "must be at least 1");
  omp_set_num_threads(int(n));
  return undefined(a.env());
}

// ---------------------------------------------------------------------------------------------
// Registration

/** Calls F, turning a KernelError into the matching JS exception. */
template <napi_value (*F)(const Args&)>
napi_value call(napi_env env, napi_callback_info info) {
  try {
    const Args args(env, info);
    return F(args);
  } catch (const KernelError& e) {
    if (e.kind == KernelError::Type)
      napi_throw_type_error(env, nullptr, e.what());
    else if (e.kind == KernelError::Range)
      napi_throw_range_error(env, nullptr, e.what());
    else
      napi_throw_error(env, nullptr, e.what());
  } catch (const std::exception& e) {
    napi_throw_error(env, nullptr, e.what());
  }
  return nullptr;
}

struct Export {
  const char* name;
  napi_callback cb;
};

const Export kExports[] = {
    {"fill", call<Fill>},
    {"matmul", call<Matmul>},
    {"unary", call<Unary>},
    {"unaryBackward", call<UnaryBackward>},
    {"binary", call<Binary>},
    {"where", call<Where>},
    {"reduce", call<Reduce>},
    {"reduceMaxBackward", call<ReduceMaxBackward>},
    {"copyStrided", call<CopyStrided>},
    {"softmax", call<Softmax>},
    {"softmaxBackward", call<SoftmaxBackward>},
    {"maskedSoftmax", call<MaskedSoftmax>},
    {"layerNorm", call<LayerNorm>},
    {"layerNormBackward", call<LayerNormBackward>},
    {"gather", call<Gather>},
    {"scatterAdd", call<ScatterAdd>},
    {"crossEntropy", call<CrossEntropy>},
    {"crossEntropyBackward", call<CrossEntropyBackward>},
    {"dropoutMask", call<DropoutMask>},
    {"sumSquares", call<SumSquares>},
    {"adamw", call<AdamW>},
    {"numThreads", call<NumThreads>},
    {"setNumThreads", call<SetNumThreads>},
};

}  // namespace
}  // namespace ligo

NAPI_MODULE_INIT() {
  ligo::initBlas();
  for (const auto& e : ligo::kExports) {
    napi_value fn;
    // The export name doubles as the callback data, so error messages can name the kernel.
    napi_create_function(env, e.name, NAPI_AUTO_LENGTH, e.cb, const_cast<char*>(e.name), &fn);
    napi_set_named_property(env, exports, e.name, fn);
  }
  return exports;
}
