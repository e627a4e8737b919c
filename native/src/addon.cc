// N-API bindings for ligo_native: unpacks JS arguments (typed arrays are used in place through
// their data pointers, never copied), validates sizes so a bad call throws instead of reading
// out of bounds, and forwards to the kernels. src/tensor/native.ts wraps these functions into
// the Backend interface of src/tensor/backend.ts.
//
// The boundary is declared once, in src/tensor/native-abi.ts: each function's parameters in
// order as `name:kind`, and each op enum's names in code order. kBindings below lists the same
// signature beside each binding, which reads its arguments by those names (never by position,
// and only with the declared kind), and kOpEnums the op lists of kernels.h; native.ts passes its
// table to `declare` at load, which throws on any difference.
#include <node_api.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <initializer_list>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

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

/** One declared parameter: `name:kind`, as in src/tensor/native-abi.ts. */
struct Param {
  std::string name, kind;
};

/** A binding's declared signature, parsed from `a:f32 b:size -> void`. */
struct Signature {
  std::vector<Param> params;
  std::string returns;
};

Signature parseSignature(const char* text) {
  Signature sig;
  std::istringstream in(text);
  std::string word;
  while (in >> word) {
    if (word == "->") {
      in >> sig.returns;
      break;
    }
    const size_t colon = word.find(':');
    sig.params.push_back({word.substr(0, colon), colon == std::string::npos ? "" : word.substr(colon + 1)});
  }
  return sig;
}

class Args;

/** One exported function: its name, its declared signature and the code that reads it. */
struct Binding {
  const char* name;
  const char* signature;
  napi_value (*fn)(const Args&);
  Signature parsed;

  Binding(const char* n, const char* sig, napi_value (*f)(const Args&)) : name(n), signature(sig), fn(f), parsed(parseSignature(sig)) {}
};

/**
 * The arguments of one call, read by their declared names. Each accessor checks that the name is
 * declared with a kind it accepts (a binding that disagrees with its signature is a bug and
 * throws) and that the value has that kind (a caller's mistake, a TypeError or RangeError).
 */
class Args {
 public:
  static constexpr size_t kMax = 24;  // Declare refuses a binding with more parameters

  Args(napi_env env, napi_callback_info info) : env_(env) {
    void* data = nullptr;
    napi_get_cb_info(env, info, &argc_, argv_, nullptr, &data);
    argc_ = std::min(argc_, kMax);  // napi reports every argument passed, but fills at most kMax
    binding_ = static_cast<const Binding*>(data);
  }

  const Binding& binding() const { return *binding_; }
  const char* fn() const { return binding_->name; }
  napi_env env() const { return env_; }

  View view(const char* name) const { return viewAt(index(name, {"f32", "f32?", "i32", "i32?", "f32|i32"}), name); }

  float* f32(const char* name, i64 minLength) const {
    const View v = viewAt(index(name, {"f32", "f32?", "f32|i32"}), name);
    if (v.type != napi_float32_array) {
      std::string msg = prefix(name) + "must be a Float32Array, got " + typedArrayName(v.type);
      if (v.type == napi_float64_array) msg += " (the native backend is float32-only; use the reference backend)";
      throwType(msg);
    }
    requireLength(v, name, minLength);
    return static_cast<float*>(v.data);
  }

  int32_t* i32(const char* name, i64 minLength) const {
    const View v = viewAt(index(name, {"i32", "i32?", "f32|i32"}), name);
    if (v.type != napi_int32_array) throwType(prefix(name) + "must be an Int32Array, got " + typedArrayName(v.type));
    requireLength(v, name, minLength);
    return static_cast<int32_t*>(v.data);
  }

  bool isNull(const char* name) const {
    const size_t i = index(name, {"f32?", "i32?"});
    napi_valuetype t = napi_undefined;
    if (i < argc_) napi_typeof(env_, argv_[i], &t);
    return t == napi_null || t == napi_undefined;
  }

  double num(const char* name) const { return numberAt(index(name, {"num"}), name); }

  /** A non-negative integer (sizes, counts). */
  i64 size(const char* name) const {
    const i64 v = integerAt(index(name, {"size"}), name);
    if (v < 0) throwRange(prefix(name) + "must be non-negative, got " + std::to_string(v));
    return v;
  }

  /** Any integer of at most 2^53 in magnitude (strides, offsets, ignore index, op codes). */
  i64 integer(const char* name) const { return integerAt(index(name, {"int"}), name); }

  uint32_t u32(const char* name) const {
    const size_t i = index(name, {"u32"});
    uint32_t u;
    if (i >= argc_ || napi_get_value_uint32(env_, argv_[i], &u) != napi_ok) throwType(prefix(name) + "must be a number");
    return u;
  }

  bool flag(const char* name) const {
    const size_t i = index(name, {"bool"});
    bool b;
    if (i < argc_ && napi_get_value_bool(env_, argv_[i], &b) == napi_ok) return b;
    return numberAt(i, name) != 0.0;
  }

  std::string prefix(const char* name) const { return std::string("ligo_native.") + fn() + ": " + name + " "; }

  void requireLength(const View& v, const char* name, i64 minLength) const {
    if (v.length < minLength)
      throwRange(prefix(name) + "has " + std::to_string(v.length) + " elements, needs at least " +
                 std::to_string(minLength));
  }

 private:
  /** The position of a declared parameter; throws if the binding reads it with another kind. */
  size_t index(const char* name, std::initializer_list<const char*> kinds) const {
    const std::vector<Param>& params = binding_->parsed.params;
    // Bindings mostly read in declared order, so the search starts after the last hit.
    for (size_t j = 0; j < params.size(); j++) {
      const size_t i = (next_ + j) % params.size();
      if (std::strcmp(params[i].name.c_str(), name) != 0) continue;
      next_ = i + 1;
      for (const char* k : kinds)
        if (params[i].kind == k) return i;
      throw KernelError(KernelError::Plain, "ligo_native." + std::string(fn()) + ": the binding reads " + name +
                                                " as another kind than its declared " + params[i].kind);
    }
    throw KernelError(KernelError::Plain,
                      "ligo_native." + std::string(fn()) + ": the binding reads undeclared argument " + name);
  }

  View viewAt(size_t i, const char* name) const {
    View v{};
    size_t len = 0;
    napi_value buffer;
    size_t byteOffset;
    if (i >= argc_ || napi_get_typedarray_info(env_, argv_[i], &v.type, &len, &v.data, &buffer, &byteOffset) != napi_ok)
      throwType(prefix(name) + "must be a typed array");
    v.length = i64(len);
    return v;
  }

  double numberAt(size_t i, const char* name) const {
    double d;
    if (i >= argc_ || napi_get_value_double(env_, argv_[i], &d) != napi_ok) throwType(prefix(name) + "must be a number");
    return d;
  }

  i64 integerAt(size_t i, const char* name) const {
    const double d = numberAt(i, name);
    if (!(std::fabs(d) <= 9007199254740992.0) || d != std::floor(d))
      throwRange(prefix(name) + "must be an integer, got " + std::to_string(d));
    return i64(d);
  }

  napi_env env_;
  size_t argc_ = kMax;
  napi_value argv_[kMax];
  const Binding* binding_ = nullptr;
  mutable size_t next_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Size helpers

/** Reads a shape plus two stride lists and checks every addressed element is in bounds. */
StridedShape readStrided(const Args& a, const char* nameA, i64 offA, i64 lenA, const char* nameB, i64 offB, i64 lenB,
                         i64* count) {
  const View shape = a.view("shape");
  if (shape.type != napi_int32_array) throwType(a.prefix("shape") + "must be an Int32Array");
  if (shape.length > kMaxRank)
    throwRange(a.prefix("shape") + "rank " + std::to_string(shape.length) + " is above " + std::to_string(kMaxRank));
  const int rank = int(shape.length);
  const int32_t* sh = static_cast<int32_t*>(shape.data);
  const int32_t* sa = a.i32(nameA, rank);
  const int32_t* sb = a.i32(nameB, rank);
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
// Bindings (each reads the arguments its signature in kBindings declares, by name)

napi_value Fill(const Args& a) {
  const View v = a.view("out");
  float* out = a.f32("out", 0);
  fill(out, v.length, float(a.num("value")));
  return undefined(a.env());
}

napi_value Matmul(const Args& a) {
  MatmulArgs m;
  m.batch = a.size("batch");
  m.m = a.size("m");
  m.n = a.size("n");
  m.k = a.size("k");
  m.transA = a.flag("transA");
  m.transB = a.flag("transB");
  m.strideA = a.size("strideA");
  m.strideB = a.size("strideB");
  m.strideC = a.size("strideC");
  for (i64 v : {m.m, m.n, m.k, m.strideA, m.strideB, m.strideC})
    if (v > INT32_MAX) throwRange(a.prefix("sizes") + "exceed the 32-bit limits of BLAS");
  m.alpha = float(a.num("alpha"));
  m.beta = float(a.num("beta"));
  const float* A = a.f32("a", matExtent(m.batch, m.strideA, extent(m.m, m.k)));
  const float* B = a.f32("b", matExtent(m.batch, m.strideB, extent(m.k, m.n)));
  float* C = a.f32("c", matExtent(m.batch, m.strideC, extent(m.m, m.n)));
  m.bias = a.isNull("bias") ? nullptr : a.f32("bias", m.n);
  if (m.bias && m.strideC == 0 && m.batch > 1) throwRange(a.prefix("bias") + "needs a C per batch item (strideC > 0)");
  matmul(A, B, C, m);
  return undefined(a.env());
}

UnaryOp unaryOp(const Args& a) {
  const i64 op = a.integer("op");
  if (op < 0 || op >= i64(UnaryOp::Count)) throwRange(a.prefix("op") + std::to_string(op) + " is not a UnaryOp");
  return UnaryOp(op);
}

napi_value Unary(const Args& a) {
  const UnaryOp op = unaryOp(a);
  const i64 n = a.view("x").length;
  unary(op, a.f32("x", 0), a.f32("out", n), n, float(a.num("param")));
  return undefined(a.env());
}

napi_value UnaryBackward(const Args& a) {
  const UnaryOp op = unaryOp(a);
  const i64 n = a.view("gx").length;
  unaryBackward(op, a.f32("x", n), a.f32("y", n), a.f32("gy", n), a.f32("gx", 0), n,
                float(a.num("param")));
  return undefined(a.env());
}

napi_value Binary(const Args& a) {
  const i64 op = a.integer("op");
  if (op < 0 || op >= i64(BinaryOp::Count)) throwRange(a.prefix("op") + std::to_string(op) + " is not a BinaryOp");
  const float* A = a.f32("a", 0);
  const float* B = a.f32("b", 0);
  i64 n = 0;
  const StridedShape d = readStrided(a, "aStrides", 0, a.view("a").length, "bStrides", 0, a.view("b").length, &n);
  binary(BinaryOp(op), A, B, a.f32("out", n), d);
  return undefined(a.env());
}

napi_value Where(const Args& a) {
  const i64 n = a.view("out").length;
  float* out = a.f32("out", 0);
  const float* A = a.f32("a", n);
  const float* B = a.f32("b", n);
  if (a.view("cond").type == napi_int32_array)
    whereI(a.i32("cond", n), A, B, out, n);
  else
    whereF(a.f32("cond", n), A, B, out, n);
  return undefined(a.env());
}

napi_value Reduce(const Args& a) {
  const i64 op = a.integer("op");
  if (op < 0 || op >= i64(ReduceOp::Count)) throwRange(a.prefix("op") + std::to_string(op) + " is not a ReduceOp");
  const i64 outer = a.size("outer"), r = a.size("r"), inner = a.size("inner");
  reduce(ReduceOp(op), a.f32("x", extent(outer, r, inner)), outer, r, inner, a.f32("out", extent(outer, inner)));
  return undefined(a.env());
}

napi_value ReduceMaxBackward(const Args& a) {
  const i64 outer = a.size("outer"), r = a.size("r"), inner = a.size("inner");
  reduceMaxBackward(a.f32("x", extent(outer, r, inner)), a.f32("y", extent(outer, inner)), a.f32("gy", extent(outer, inner)),
                    outer, r, inner, a.f32("gx", extent(outer, r, inner)));
  return undefined(a.env());
}

napi_value CopyStrided(const Args& a) {
  const View src = a.view("src"), dst = a.view("dst");
  const i64 srcOff = a.integer("srcOffset"), dstOff = a.integer("dstOffset");
  const bool acc = a.flag("accumulate");
  i64 n = 0;
  const StridedShape d = readStrided(a, "srcStrides", srcOff, src.length, "dstStrides", dstOff, dst.length, &n);
  if (src.type == napi_int32_array && dst.type == napi_int32_array) {
    copyStrided(a.i32("src", 0) + srcOff, a.i32("dst", 0) + dstOff, d, acc);
  } else {
    copyStrided(a.f32("src", 0) + srcOff, a.f32("dst", 0) + dstOff, d, acc);
  }
  return undefined(a.env());
}

napi_value Softmax(const Args& a) {
  const i64 rows = a.size("rows"), cols = a.size("cols");
  softmax(a.f32("x", extent(rows, cols)), rows, cols, a.f32("out", extent(rows, cols)), a.flag("log"));
  return undefined(a.env());
}

napi_value SoftmaxBackward(const Args& a) {
  const i64 rows = a.size("rows"), cols = a.size("cols");
  softmaxBackward(a.f32("y", extent(rows, cols)), a.f32("gy", extent(rows, cols)), rows, cols, a.f32("gx", extent(rows, cols)),
                  a.flag("log"));
  return undefined(a.env());
}

/** A HeadsView from `<name>Offset` and `<name>RowStride`: rows hold `heads` heads, so at least heads * d apart. */
HeadsView headsView(const Args& a, const std::string& name, i64 heads, const AttentionDims& d) {
  const HeadsView v{a.size((name + "Offset").c_str()), a.size((name + "RowStride").c_str())};
  if (heads * d.d > v.rowStride)
    throwRange(a.prefix((name + "RowStride").c_str()) + std::to_string(v.rowStride) + " is less than heads x head size (" +
               std::to_string(heads * d.d) + ")");
  return v;
}

/** Elements an operand of `rows` rows per batch item spans through its `heads` heads. */
i64 headsExtent(const AttentionDims& d, HeadsView v, i64 rows, i64 heads) {
  if (d.batch == 0 || rows == 0 || heads * d.d == 0) return 0;
  i64 r;
  if (__builtin_mul_overflow(extent(d.batch, rows) - 1, v.rowStride, &r) || __builtin_add_overflow(r, v.offset + heads * d.d, &r))
    return INT64_MAX;
  return r;
}

AttentionDims attentionDims(const Args& a) {
  const AttentionDims d{a.size("batch"), a.size("heads"), a.size("kvHeads"), a.size("tq"), a.size("tk"), a.size("d"),
                        float(a.num("scale")), a.flag("causal")};
  if (d.kvHeads == 0 || d.heads % d.kvHeads != 0)
    throwRange(a.prefix("kvHeads") + std::to_string(d.kvHeads) + " does not divide heads (" + std::to_string(d.heads) + ")");
  return d;
}

/** The q, k and v views of an attention call (k and v rows hold kvHeads heads). */
struct AttentionViews {
  HeadsView q, k, v;
  AttentionViews(const Args& a, const AttentionDims& d)
      : q(headsView(a, "q", d.heads, d)), k(headsView(a, "k", d.kvHeads, d)), v(headsView(a, "v", d.kvHeads, d)) {}
};

napi_value Attention(const Args& a) {
  const AttentionDims d = attentionDims(a);
  const AttentionViews w(a, d);
  const int32_t* keyMask = a.isNull("keyMask") ? nullptr : a.i32("keyMask", extent(d.batch, d.tk));
  attention(a.f32("q", headsExtent(d, w.q, d.tq, d.heads)), w.q, a.f32("k", headsExtent(d, w.k, d.tk, d.kvHeads)), w.k,
            a.f32("v", headsExtent(d, w.v, d.tk, d.kvHeads)), w.v, keyMask, a.f32("p", extent(d.batch, d.heads, d.tq, d.tk)),
            a.f32("out", extent(d.batch, d.tq, d.heads, d.d)), d);
  return undefined(a.env());
}

napi_value AttentionBackward(const Args& a) {
  const AttentionDims d = attentionDims(a);
  const AttentionViews w(a, d);
  const i64 qLen = headsExtent(d, w.q, d.tq, d.heads), kLen = headsExtent(d, w.k, d.tk, d.kvHeads),
            vLen = headsExtent(d, w.v, d.tk, d.kvHeads);
  attentionBackward(a.f32("q", qLen), w.q, a.f32("k", kLen), w.k, a.f32("v", vLen), w.v,
                    a.f32("p", extent(d.batch, d.heads, d.tq, d.tk)), a.f32("gout", extent(d.batch, d.tq, d.heads, d.d)),
                    a.f32("gq", qLen), a.f32("gk", kLen), a.f32("gv", vLen), d);
  return undefined(a.env());
}

napi_value LayerNorm(const Args& a) {
  const i64 rows = a.size("rows"), cols = a.size("cols");
  layerNorm(a.f32("x", extent(rows, cols)), a.f32("gamma", cols), a.f32("beta", cols), rows, cols,
            float(a.num("eps")), a.f32("out", extent(rows, cols)), a.f32("mean", rows), a.f32("rstd", rows));
  return undefined(a.env());
}

napi_value LayerNormBackward(const Args& a) {
  const i64 rows = a.size("rows"), cols = a.size("cols");
  layerNormBackward(a.f32("x", extent(rows, cols)), a.f32("gamma", cols), a.f32("mean", rows),
                    a.f32("rstd", rows), a.f32("gy", extent(rows, cols)), rows, cols, a.f32("gx", extent(rows, cols)),
                    a.f32("ggamma", cols), a.f32("gbeta", cols));
  return undefined(a.env());
}

napi_value RmsNorm(const Args& a) {
  const i64 rows = a.size("rows"), cols = a.size("cols");
  rmsNorm(a.f32("x", extent(rows, cols)), a.f32("gamma", cols), rows, cols, float(a.num("eps")),
          a.f32("out", extent(rows, cols)), a.f32("rstd", rows));
  return undefined(a.env());
}

napi_value RmsNormBackward(const Args& a) {
  const i64 rows = a.size("rows"), cols = a.size("cols");
  rmsNormBackward(a.f32("x", extent(rows, cols)), a.f32("gamma", cols), a.f32("rstd", rows), a.f32("gy", extent(rows, cols)),
                  rows, cols, a.f32("gx", extent(rows, cols)), a.f32("ggamma", cols));
  return undefined(a.env());
}

napi_value Rotary(const Args& a) {
  const i64 batch = a.size("batch"), t = a.size("t"), heads = a.size("heads"), d = a.size("d");
  if (d % 2 != 0) throwRange(a.prefix("d") + "(head size) must be even, got " + std::to_string(d));
  const i64 n = extent(batch, t, heads, d);
  rotary(a.f32("x", n), a.f32("cos", extent(t, d)), a.f32("sin", extent(t, d)), batch, t, heads, d, a.f32("out", n),
         a.flag("backward"));
  return undefined(a.env());
}

napi_value Gather(const Args& a) {
  const i64 vocab = a.size("vocab"), cols = a.size("cols");
  const i64 n = a.view("ids").length;
  const int32_t* ids = a.i32("ids", 0);
  const float* table = a.f32("table", extent(vocab, cols));
  float* out = a.f32("out", extent(n, cols));
  checkIds("gather", ids, n, vocab);
  gather(table, cols, ids, n, out);
  return undefined(a.env());
}

napi_value ScatterAdd(const Args& a) {
  const i64 cols = a.size("cols");
  const i64 n = a.view("ids").length;
  const int32_t* ids = a.i32("ids", 0);
  const View table = a.view("gtable");
  float* gtable = a.f32("gtable", 0);
  const float* gy = a.f32("gy", extent(n, cols));
  checkIds("scatterAdd", ids, n, cols == 0 ? INT64_MAX : table.length / cols);
  scatterAdd(gy, ids, n, cols, gtable);
  return undefined(a.env());
}

napi_value CrossEntropy(const Args& a) {
  const i64 rows = a.size("rows"), cols = a.size("cols");
  const double loss = crossEntropy(a.f32("logits", extent(rows, cols)), a.i32("targets", rows), rows, cols,
                                   a.integer("ignoreIndex"), a.f32("lse", rows));
  return number(a.env(), loss);
}

napi_value CrossEntropyBackward(const Args& a) {
  const i64 rows = a.size("rows"), cols = a.size("cols");
  crossEntropyBackward(a.f32("logits", extent(rows, cols)), a.i32("targets", rows), a.f32("lse", rows), rows, cols,
                       a.integer("ignoreIndex"), float(a.num("scale")), a.f32("gx", extent(rows, cols)));
  return undefined(a.env());
}

napi_value DropoutMask(const Args& a) {
  const double p = a.num("p");
  if (!(p >= 0.0 && p <= 1.0)) throwRange(a.prefix("p") + "must be in [0, 1], got " + std::to_string(p));
  const View v = a.view("out");
  dropoutMask(a.u32("seed"), p, a.f32("out", 0), v.length);
  return undefined(a.env());
}

napi_value SumSquares(const Args& a) {
  const View v = a.view("x");
  return number(a.env(), sumSquares(a.f32("x", 0), v.length));
}

napi_value AdamW(const Args& a) {
  const i64 n = a.view("p").length;
  adamw(a.f32("p", 0), a.f32("g", n), a.f32("m", n), a.f32("v", n), n, a.num("lr"),
        a.num("beta1"), a.num("beta2"), a.num("eps"), a.num("weightDecay"), a.num("step"),
        a.num("gradScale"));
  return undefined(a.env());
}

void releasePages(napi_env, void* data, void* bytes) { unmapPages(data, reinterpret_cast<size_t>(bytes)); }

napi_value AllocBuffer(const Args& a) {
  const size_t bytes = size_t(a.size("bytes"));
  void* p = mapPages(bytes);
  if (!p) throw KernelError(KernelError::Plain, std::string("ligo_native.") + a.fn() + ": cannot map " + std::to_string(bytes) + " bytes (out of memory?)");
  napi_value out;
  if (napi_create_external_arraybuffer(a.env(), p, bytes, releasePages, reinterpret_cast<void*>(bytes), &out) != napi_ok) {
    unmapPages(p, bytes);
    throw KernelError(KernelError::Plain, std::string("ligo_native.") + a.fn() + ": this Node.js refuses external ArrayBuffers");
  }
  return out;
}

napi_value NumThreads(const Args& a) { return number(a.env(), maxThreads()); }

napi_value PeakVectorBits(const Args& a) { return number(a.env(), peakVectorBits()); }

napi_value PeakGflopsAt(const Args& a) { return number(a.env(), peakGflopsAt(int(a.size("bits")), long(a.size("iters")))); }

// ---------------------------------------------------------------------------------------------
// Registration

/** Every export but `declare`, with the signature its binding reads (see native-abi.ts). */
const Binding kBindings[] = {
    {"fill", "out:f32 value:num -> void", Fill},
    {"matmul", "a:f32 b:f32 c:f32 batch:size m:size n:size k:size transA:bool transB:bool strideA:size strideB:size strideC:size alpha:num beta:num bias:f32? -> void", Matmul},
    {"unary", "op:int x:f32 out:f32 param:num -> void", Unary},
    {"unaryBackward", "op:int x:f32 y:f32 gy:f32 gx:f32 param:num -> void", UnaryBackward},
    {"binary", "op:int a:f32 aStrides:i32 b:f32 bStrides:i32 out:f32 shape:i32 -> void", Binary},
    {"where", "cond:f32|i32 a:f32 b:f32 out:f32 -> void", Where},
    {"reduce", "op:int x:f32 outer:size r:size inner:size out:f32 -> void", Reduce},
    {"reduceMaxBackward", "x:f32 y:f32 gy:f32 outer:size r:size inner:size gx:f32 -> void", ReduceMaxBackward},
    {"copyStrided", "src:f32|i32 srcOffset:int srcStrides:i32 dst:f32|i32 dstOffset:int dstStrides:i32 shape:i32 accumulate:bool -> void", CopyStrided},
    {"softmax", "x:f32 rows:size cols:size out:f32 log:bool -> void", Softmax},
    {"softmaxBackward", "y:f32 gy:f32 rows:size cols:size gx:f32 log:bool -> void", SoftmaxBackward},
    {"attention", "q:f32 qOffset:size qRowStride:size k:f32 kOffset:size kRowStride:size v:f32 vOffset:size vRowStride:size keyMask:i32? p:f32 out:f32 batch:size heads:size kvHeads:size tq:size tk:size d:size scale:num causal:bool -> void", Attention},
    {"attentionBackward", "q:f32 qOffset:size qRowStride:size k:f32 kOffset:size kRowStride:size v:f32 vOffset:size vRowStride:size p:f32 gout:f32 gq:f32 gk:f32 gv:f32 batch:size heads:size kvHeads:size tq:size tk:size d:size scale:num causal:bool -> void", AttentionBackward},
    {"layerNorm", "x:f32 gamma:f32 beta:f32 rows:size cols:size eps:num out:f32 mean:f32 rstd:f32 -> void", LayerNorm},
    {"layerNormBackward", "x:f32 gamma:f32 mean:f32 rstd:f32 gy:f32 rows:size cols:size gx:f32 ggamma:f32 gbeta:f32 -> void", LayerNormBackward},
    {"rmsNorm", "x:f32 gamma:f32 rows:size cols:size eps:num out:f32 rstd:f32 -> void", RmsNorm},
    {"rmsNormBackward", "x:f32 gamma:f32 rstd:f32 gy:f32 rows:size cols:size gx:f32 ggamma:f32 -> void", RmsNormBackward},
    {"rotary", "x:f32 cos:f32 sin:f32 batch:size t:size heads:size d:size out:f32 backward:bool -> void", Rotary},
    {"gather", "table:f32 vocab:size cols:size ids:i32 out:f32 -> void", Gather},
    {"scatterAdd", "gy:f32 ids:i32 cols:size gtable:f32 -> void", ScatterAdd},
    {"crossEntropy", "logits:f32 targets:i32 rows:size cols:size ignoreIndex:int lse:f32 -> number", CrossEntropy},
    {"crossEntropyBackward", "logits:f32 targets:i32 lse:f32 rows:size cols:size ignoreIndex:int scale:num gx:f32 -> void", CrossEntropyBackward},
    {"dropoutMask", "seed:u32 p:num out:f32 -> void", DropoutMask},
    {"sumSquares", "x:f32 -> number", SumSquares},
    {"adamw", "p:f32 g:f32 m:f32 v:f32 lr:num beta1:num beta2:num eps:num weightDecay:num step:num gradScale:num -> void", AdamW},
    {"allocBuffer", "bytes:size -> arraybuffer", AllocBuffer},
    {"numThreads", "-> number", NumThreads},
    {"peakVectorBits", "-> number", PeakVectorBits},
    {"peakGflopsAt", "bits:size iters:size -> number", PeakGflopsAt},
};

/** The one N-API callback: runs the binding named by the callback data, turning a KernelError into the matching JS exception. */
napi_value dispatch(napi_env env, napi_callback_info info) {
  try {
    const Args args(env, info);
    return args.binding().fn(args);
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

std::string stringValue(napi_env env, napi_value v) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, nullptr, 0, &len) != napi_ok) return "(not a string)";
  std::string out(len, '\0');
  napi_get_value_string_utf8(env, v, out.data(), len + 1, &len);
  return out;
}

/** An op enum as `declare` reads it: its names in code order, one space apart. */
#define LIGO_WORD(name) " " #name
struct OpEnum {
  const char* name;
  const char* names;
};
// (" Exp" " Log" ... is one literal; + 1 skips its leading space.)
const OpEnum kOpEnums[] = {
    {"UnaryOp", LIGO_UNARY_OPS(LIGO_WORD) + 1},
    {"BinaryOp", LIGO_BINARY_OPS(LIGO_WORD) + 1},
    {"ReduceOp", LIGO_REDUCE_OPS(LIGO_WORD) + 1},
};
#undef LIGO_WORD

/**
 * declare({fill: "out:f32 value:num -> void", ..., UnaryOp: "Exp Log ...", ...}): throws an Error
 * naming, on one line, every function whose declared signature differs from its binding's and
 * every op enum whose declared names differ from kernels.h's, or that is missing or unknown here.
 */
napi_value Declare(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value table;
  napi_get_cb_info(env, info, &argc, &table, nullptr, nullptr);
  napi_valuetype type = napi_undefined;
  if (argc == 1) napi_typeof(env, table, &type);
  if (type != napi_object) {
    napi_throw_type_error(env, nullptr, "ligo_native.declare: expects an object of signatures");
    return nullptr;
  }
  std::vector<std::string> diffs;
  // What the addon has under each name: a binding's signature, or an op enum's names.
  std::vector<std::pair<std::string, std::string>> has;
  for (const Binding& b : kBindings) {
    if (b.parsed.params.size() > Args::kMax)
      diffs.push_back(std::string(b.name) + ": " + std::to_string(b.parsed.params.size()) + " parameters, more than the " + std::to_string(Args::kMax) + " a call can read");
    has.emplace_back(b.name, b.signature);
  }
  for (const OpEnum& e : kOpEnums) has.emplace_back(e.name, e.names);
  for (const auto& [name, text] : has) {
    bool present = false;
    napi_has_named_property(env, table, name.c_str(), &present);
    if (!present) {
      diffs.push_back(name + ": not declared (the addon has `" + text + "`)");
      continue;
    }
    napi_value v;
    napi_get_named_property(env, table, name.c_str(), &v);
    const std::string declared = stringValue(env, v);
    if (declared != text) diffs.push_back(name + ": declared `" + declared + "`, the addon reads `" + text + "`");
  }
  napi_value names;
  napi_get_property_names(env, table, &names);
  uint32_t count = 0;
  napi_get_array_length(env, names, &count);
  for (uint32_t i = 0; i < count; i++) {
    napi_value key;
    napi_get_element(env, names, i, &key);
    const std::string name = stringValue(env, key);
    bool found = false;
    for (const auto& h : has) found = found || name == h.first;
    if (!found) diffs.push_back(name + ": declared, but the addon has no such function or op enum");
  }
  if (diffs.empty()) return nullptr;
  std::string message = "ligo_native: the declared native boundary differs from the addon's: ";
  for (size_t i = 0; i < diffs.size(); i++) message += (i > 0 ? "; " : "") + diffs[i];
  napi_throw_error(env, nullptr, message.c_str());
  return nullptr;
}

}  // namespace
}  // namespace ligo

NAPI_MODULE_INIT() {
  napi_value fn;
  for (const auto& b : ligo::kBindings) {
    // The binding is the callback data: dispatch runs it, and error messages name it.
    napi_create_function(env, b.name, NAPI_AUTO_LENGTH, ligo::dispatch, const_cast<ligo::Binding*>(&b), &fn);
    napi_set_named_property(env, exports, b.name, fn);
  }
  napi_create_function(env, "declare", NAPI_AUTO_LENGTH, ligo::Declare, nullptr, &fn);
  napi_set_named_property(env, exports, "declare", fn);
  return exports;
}
