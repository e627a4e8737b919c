// Kernel declarations for ligo_native. Every kernel works on raw float32 (or int32) pointers
// with sizes already validated by the bindings in addon.cc; the semantics are those documented
// in src/tensor/backend.ts, which is the contract shared with the TypeScript reference backend.
#pragma once

#include "common.h"

namespace ligo {

// Op codes: the enums of src/tensor/backend.ts, the same names in the same order (an op's code is
// its position). Each list is written once, here, as an X-macro: it makes the enum, and the
// addon's `declare` compares the names with the TypeScript enums at load (addon.cc kOpEnums), so
// a list that drifts from backend.ts refuses to load instead of running the wrong op.
#define LIGO_UNARY_OPS(X) X(Exp) X(Log) X(Sqrt) X(Rsqrt) X(Tanh) X(Erf) X(Neg) X(GeluErf) X(GeluTanh) X(Pow) X(Scale) X(AddScalar) X(Relu) X(Silu)
#define LIGO_BINARY_OPS(X) X(Add) X(Sub) X(Mul) X(Div)
#define LIGO_REDUCE_OPS(X) X(Sum) X(Max)
#define LIGO_ENUMERATOR(name) name,
enum class UnaryOp { LIGO_UNARY_OPS(LIGO_ENUMERATOR) Count };
enum class BinaryOp { LIGO_BINARY_OPS(LIGO_ENUMERATOR) Count };
enum class ReduceOp { LIGO_REDUCE_OPS(LIGO_ENUMERATOR) Count };

constexpr int kMaxRank = 16;

/** A strided N-d iteration space: shape plus up to two operand stride lists (element units). */
struct StridedShape {
  int rank = 0;
  i64 shape[kMaxRank];
  i64 sa[kMaxRank];
  i64 sb[kMaxRank];
};

// kernels_elementwise.cc
void fill(float* out, i64 n, float value);
void unary(UnaryOp op, const float* x, float* out, i64 n, float param);
void unaryBackward(UnaryOp op, const float* x, const float* y, const float* gy, float* gx, i64 n, float param);
/** out (contiguous over `dims`) = a (op) b, with a and b addressed by dims.sa / dims.sb. */
void binary(BinaryOp op, const float* a, const float* b, float* out, StridedShape dims);
void whereF(const float* cond, const float* a, const float* b, float* out, i64 n);
void whereI(const int32_t* cond, const float* a, const float* b, float* out, i64 n);
void dropoutMask(uint32_t seed, double p, float* out, i64 n);
double sumSquares(const float* x, i64 n);
void adamw(float* p, const float* g, float* m, float* v, i64 n, double lr, double beta1, double beta2, double eps,
           double weightDecay, double step, double gradScale);

// kernels_layout.cc
void reduce(ReduceOp op, const float* x, i64 outer, i64 r, i64 inner, float* out);
void reduceMaxBackward(const float* x, const float* y, const float* gy, i64 outer, i64 r, i64 inner, float* gx);
/** dst[dims.sb-offsets] (=|+=) src[dims.sa-offsets]; T is float or int32_t. */
template <class T>
void copyStrided(const T* src, T* dst, StridedShape dims, bool accumulate);
/** Throws RangeError (naming the id) if any id is outside [0, vocab). */
void checkIds(const char* kernel, const int32_t* ids, i64 n, i64 vocab);
void gather(const float* table, i64 cols, const int32_t* ids, i64 n, float* out);
void scatterAdd(const float* gy, const int32_t* ids, i64 n, i64 cols, float* gtable);

// kernels_nn.cc
void softmax(const float* x, i64 rows, i64 cols, float* out, bool log);
void softmaxBackward(const float* y, const float* gy, i64 rows, i64 cols, float* gx, bool log);
/** Where an attention operand's rows are (src/tensor/backend.ts HeadsView), in elements. */
struct HeadsView {
  i64 offset, rowStride;
};
/** heads query heads; kvHeads (dividing heads) key/value heads, query head h reading h / (heads / kvHeads). */
struct AttentionDims {
  i64 batch, heads, kvHeads, tq, tk, d;
  float scale;
  bool causal;
};
void attention(const float* q, HeadsView qv, const float* k, HeadsView kv, const float* v, HeadsView vv,
               const int32_t* keyMask, float* p, float* out, const AttentionDims& a);
void attentionBackward(const float* q, HeadsView qv, const float* k, HeadsView kv, const float* v, HeadsView vv,
                       const float* p, const float* gout, float* gq, float* gk, float* gv, const AttentionDims& a);
void layerNorm(const float* x, const float* gamma, const float* beta, i64 rows, i64 cols, float eps, float* out,
               float* mean, float* rstd);
void layerNormBackward(const float* x, const float* gamma, const float* mean, const float* rstd, const float* gy,
                       i64 rows, i64 cols, float* gx, float* ggamma, float* gbeta);
void rmsNorm(const float* x, const float* gamma, i64 rows, i64 cols, float eps, float* out, float* rstd);
void rmsNormBackward(const float* x, const float* gamma, const float* rstd, const float* gy, i64 rows, i64 cols, float* gx,
                     float* ggamma);
/** x and out are [batch, t, heads * d] (out may be x), cos and sin [t, d], d even. */
void rotary(const float* x, const float* cos, const float* sin, i64 batch, i64 t, i64 heads, i64 d, float* out,
            bool backward);
double crossEntropy(const float* logits, const int32_t* targets, i64 rows, i64 cols, i64 ignoreIndex, float* lse);
void crossEntropyBackward(const float* logits, const int32_t* targets, const float* lse, i64 rows, i64 cols,
                          i64 ignoreIndex, float scale, float* gx);

// kernels_matmul.cc
struct MatmulArgs {
  i64 batch, m, n, k;
  bool transA, transB;
  i64 strideA, strideB, strideC;
  float alpha, beta;
  const float* bias = nullptr;  // [n], added to every row of C, or null
};
void matmul(const float* a, const float* b, float* c, const MatmulArgs& args);

/** Drops size-1 dims and merges adjacent dims that are contiguous in both stride lists. */
StridedShape collapseDims(const StridedShape& in);

// pages.cc
/** A zeroed, 2 MiB-aligned anonymous mapping of at least `bytes` with huge pages advised, or null. */
void* mapPages(size_t bytes);
/** Releases a mapping from mapPages (the same `bytes`). */
void unmapPages(void* p, size_t bytes);

// peak.cc
/** The widest vector (bits) the kernels use on this CPU: 512 (AVX-512), 256 (AVX2 + FMA), else 128. */
int peakVectorBits();
/** One core's fp32 FMA rate with `bits`-wide vectors (256 or 512) over `iters` rounds of 12 vector FMAs, GFLOP/s of its CPU time; 0 where the CPU lacks them. */
double peakGflopsAt(int bits, long iters);

}  // namespace ligo
