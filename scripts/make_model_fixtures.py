#!/usr/bin/env python3
"""Reference fixtures for src/models, from plain-PyTorch re-implementations of HuggingFace's
BertForMaskedLM, RobertaForMaskedLM, BertForSequenceClassification,
RobertaForSequenceClassification, GPT2LMHeadModel, ViTForImageClassification,
DeiTForImageClassificationWithTeacher, LlamaForCausalLM and Qwen2ForCausalLM (transformers'
modeling_bert/roberta/gpt2/vit/deit/llama/qwen2.py: same module names, so state_dict() gives HF's
keys; same forward math, except that Llama's eager softmax runs in the model's dtype where HF
upcasts it to float32, which changes nothing for a float32 model; Qwen2 is Llama's code with
biases on q/k/v only). transformers itself is not installed here.

  /usr/bin/python3 scripts/make_model_fixtures.py
      writes test/fixtures/models/<name>/{model.safetensors, config.json, inputs.json, logits.json}
      for name in bert, roberta, gpt2, vit, deit, bert-cls, roberta-cls, llama (grouped-query
      attention, untied lm_head), llama-tied (one key/value head, tied embeddings, q/k/v/o and
      feed-forward biases, rope_theta 500000), qwen2 (grouped-query attention, untied, head_dim left
      out as Qwen2's config.json files leave it), qwen2-tied (one key/value head, tied embeddings,
      head_dim 8 given, so q is narrower than hidden_size), llama-rope3 (Llama 3.1's rope_scaling
      'llama3', each of its three frequency bands in use): tiny configs, seeded
      float32 weights, logits and loss computed in float64. model.safetensors holds what HF's
      save_pretrained would write (tied copies and non-persistent buffers left out). Each
      fixture has its own seeds, so adding one leaves the others' files unchanged.

  /usr/bin/python3 scripts/make_model_fixtures.py --check DIR [--inputs FILE]
      loads a checkpoint directory written by ligo (model.safetensors + config.json) into these
      re-implementations and prints its logits (JSON) on the fixture inputs of its model_type
      (and head), or on FILE (an inputs.json of the same form).
"""
import argparse
import json
import math
import os
import struct
import sys

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
FIXTURES = os.path.join(ROOT, 'test', 'fixtures', 'models')

# ---- safetensors, by hand ---------------------------------------------------------------------

DTYPES = {'F32': np.float32, 'F64': np.float64, 'I32': np.int32, 'F16': np.float16}


def write_safetensors(path, tensors, metadata=None):
    """float32 tensors under their names, with string `metadata` (default: PyTorch's {'format': 'pt'})."""
    header, chunks, offset = {'__metadata__': metadata if metadata is not None else {'format': 'pt'}}, [], 0
    for name, t in tensors.items():
        data = t.detach().cpu().numpy().astype('<f4').tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(t.shape), 'data_offsets': [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    head = json.dumps(header, separators=(',', ':')).encode()
    head += b' ' * (-len(head) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(head)) + head + b''.join(chunks))


def read_safetensors(path):
    with open(path, 'rb') as f:
        raw = f.read()
    (n,) = struct.unpack('<Q', raw[:8])
    header = json.loads(raw[8:8 + n])
    out = {}
    for name, info in header.items():
        if name == '__metadata__':
            continue
        if info['dtype'] not in DTYPES:
            sys.exit(f'{path}: tensor {name} has dtype {info["dtype"]}, which this script cannot read')
        a, b = info['data_offsets']
        arr = np.frombuffer(raw[8 + n + a:8 + n + b], dtype=np.dtype(DTYPES[info['dtype']]).newbyteorder('<'))
        out[name] = torch.from_numpy(arr.reshape(info['shape']).astype(np.float64))
    return out

# ---- shared pieces (transformers' activations.py, attention masks) ----------------------------


def act_fn(name):
    return {
        'gelu': F.gelu,
        'gelu_new': lambda x: 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0)))),
        'gelu_pytorch_tanh': lambda x: F.gelu(x, approximate='tanh'),
        'relu': F.relu,
    }[name]


def extended_mask(mask, dtype):
    """HF's get_extended_attention_mask: [B, T] of 1/0 -> additive [B, 1, 1, T]."""
    m = mask[:, None, None, :].to(dtype)
    return (1.0 - m) * torch.finfo(dtype).min


def heads(x, n):
    b, t, c = x.shape
    return x.view(b, t, n, c // n).permute(0, 2, 1, 3)


def merge(x):
    b, h, t, d = x.shape
    return x.permute(0, 2, 1, 3).reshape(b, t, h * d)

# ---- BERT / RoBERTa (modeling_bert.py, modeling_roberta.py) ------------------------------------


class BertEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.roberta = c['model_type'] == 'roberta'
        self.pad = c['pad_token_id']
        H = c['hidden_size']
        self.word_embeddings = nn.Embedding(c['vocab_size'], H, padding_idx=self.pad)
        self.position_embeddings = nn.Embedding(c['max_position_embeddings'], H, padding_idx=self.pad if self.roberta else None)
        self.token_type_embeddings = nn.Embedding(c['type_vocab_size'], H)
        self.LayerNorm = nn.LayerNorm(H, eps=c['layer_norm_eps'])
        self.register_buffer('position_ids', torch.arange(c['max_position_embeddings']).expand((1, -1)), persistent=False)

    def forward(self, input_ids, token_type_ids):
        if self.roberta:  # create_position_ids_from_input_ids
            m = input_ids.ne(self.pad).int()
            position_ids = (torch.cumsum(m, dim=1).type_as(m) * m).long() + self.pad
        else:
            position_ids = self.position_ids[:, :input_ids.shape[1]]
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        x = self.word_embeddings(input_ids) + self.token_type_embeddings(token_type_ids)
        x = x + self.position_embeddings(position_ids)
        return self.LayerNorm(x)


class BertSelfAttention(nn.Module):
    def __init__(self, H, n):
        super().__init__()
        self.n = n
        self.query, self.key, self.value = nn.Linear(H, H), nn.Linear(H, H), nn.Linear(H, H)

    def forward(self, x, mask):
        q, k, v = heads(self.query(x), self.n), heads(self.key(x), self.n), heads(self.value(x), self.n)
        scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
        if mask is not None:
            scores = scores + mask
        return merge(F.softmax(scores, dim=-1) @ v)


class Dense(nn.Module):
    """BertSelfOutput / BertOutput: dense, (dropout), LayerNorm(h + input)."""

    def __init__(self, i, o, eps):
        super().__init__()
        self.dense, self.LayerNorm = nn.Linear(i, o), nn.LayerNorm(o, eps=eps)

    def forward(self, h, inp):
        return self.LayerNorm(self.dense(h) + inp)


class BertAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self = BertSelfAttention(c['hidden_size'], c['num_attention_heads'])
        self.output = Dense(c['hidden_size'], c['hidden_size'], c['layer_norm_eps'])

    def forward(self, x, mask):
        return self.output(self.self(x, mask), x)


class Intermediate(nn.Module):
    def __init__(self, i, o, act):
        super().__init__()
        self.dense, self.act = nn.Linear(i, o), act_fn(act)

    def forward(self, x):
        return self.act(self.dense(x))


class BertLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = BertAttention(c)
        self.intermediate = Intermediate(c['hidden_size'], c['intermediate_size'], c['hidden_act'])
        self.output = Dense(c['intermediate_size'], c['hidden_size'], c['layer_norm_eps'])

    def forward(self, x, mask):
        a = self.attention(x, mask)
        return self.output(self.intermediate(a), a)


class Encoder(nn.Module):
    def __init__(self, layers):
        super().__init__()
        self.layer = nn.ModuleList(layers)


class BertPooler(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense, self.activation = nn.Linear(c['hidden_size'], c['hidden_size']), nn.Tanh()

    def forward(self, x):
        return self.activation(self.dense(x[:, 0]))


class BertModel(nn.Module):
    """The encoder; forward gives the sequence output (the pooler, when added, is applied by the caller)."""

    def __init__(self, c, add_pooling_layer=False):
        super().__init__()
        self.embeddings = BertEmbeddings(c)
        self.encoder = Encoder([BertLayer(c) for _ in range(c['num_hidden_layers'])])
        if add_pooling_layer:
            self.pooler = BertPooler(c)

    def forward(self, input_ids, attention_mask, token_type_ids):
        x = self.embeddings(input_ids, token_type_ids)
        mask = None if attention_mask is None else extended_mask(attention_mask, x.dtype)
        for layer in self.encoder.layer:
            x = layer(x, mask)
        return x


class Transform(nn.Module):
    def __init__(self, c):
        super().__init__()
        H = c['hidden_size']
        self.dense, self.act, self.LayerNorm = nn.Linear(H, H), act_fn(c['hidden_act']), nn.LayerNorm(H, eps=c['layer_norm_eps'])

    def forward(self, x):
        return self.LayerNorm(self.act(self.dense(x)))


class BertLMPredictionHead(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.transform = Transform(c)
        self.decoder = nn.Linear(c['hidden_size'], c['vocab_size'], bias=False)
        self.bias = nn.Parameter(torch.zeros(c['vocab_size']))
        self.decoder.bias = self.bias

    def forward(self, x):
        return self.decoder(self.transform(x))


class BertOnlyMLMHead(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.predictions = BertLMPredictionHead(c)


class RobertaLMHead(nn.Module):
    def __init__(self, c):
        super().__init__()
        H = c['hidden_size']
        self.dense, self.layer_norm = nn.Linear(H, H), nn.LayerNorm(H, eps=c['layer_norm_eps'])
        self.decoder = nn.Linear(H, c['vocab_size'])
        self.bias = nn.Parameter(torch.zeros(c['vocab_size']))
        self.decoder.bias = self.bias

    def forward(self, x):
        return self.decoder(self.layer_norm(F.gelu(self.dense(x))))  # always exact GELU


class MaskedLM(nn.Module):
    """BertForMaskedLM (bert + cls) or RobertaForMaskedLM (roberta + lm_head)."""
    tied = {'bert': ['cls.predictions.decoder.weight', 'cls.predictions.decoder.bias'], 'roberta': ['lm_head.decoder.weight', 'lm_head.decoder.bias']}

    def __init__(self, c):
        super().__init__()
        self.kind = c['model_type']
        if self.kind == 'roberta':
            self.roberta, self.lm_head = BertModel(c), RobertaLMHead(c)
            self.lm_head.decoder.weight = self.roberta.embeddings.word_embeddings.weight
        else:
            self.bert, self.cls = BertModel(c), BertOnlyMLMHead(c)
            self.cls.predictions.decoder.weight = self.bert.embeddings.word_embeddings.weight

    def forward(self, inputs):
        ids = torch.tensor(inputs['input_ids'])
        mask = torch.tensor(inputs['attention_mask']) if 'attention_mask' in inputs else None
        types = torch.tensor(inputs['token_type_ids']) if 'token_type_ids' in inputs else None
        if self.kind == 'roberta':
            return self.lm_head(self.roberta(ids, mask, types))
        return self.cls.predictions(self.bert(ids, mask, types))

    def loss(self, logits, inputs):
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), torch.tensor(inputs['labels']).reshape(-1), ignore_index=-100)

def text_tensors(inputs):
    ids = torch.tensor(inputs['input_ids'])
    mask = torch.tensor(inputs['attention_mask']) if 'attention_mask' in inputs else None
    types = torch.tensor(inputs['token_type_ids']) if 'token_type_ids' in inputs else None
    return ids, mask, types


def num_labels(c):
    return c.get('num_labels') or len(c.get('id2label') or {}) or 2


def is_sequence_classification(c):
    return any(a.endswith('ForSequenceClassification') for a in c.get('architectures') or [])


class RobertaClassificationHead(nn.Module):
    def __init__(self, c, p):
        super().__init__()
        H = c['hidden_size']
        self.dense, self.dropout, self.out_proj = nn.Linear(H, H), nn.Dropout(p), nn.Linear(H, num_labels(c))

    def forward(self, features):
        x = self.dropout(features[:, 0, :])  # <s>
        x = torch.tanh(self.dense(x))
        return self.out_proj(self.dropout(x))


class SequenceClassification(nn.Module):
    """BertForSequenceClassification (bert with pooler + dropout + classifier) or
    RobertaForSequenceClassification (roberta without pooler + RobertaClassificationHead)."""
    tied = []

    def __init__(self, c):
        super().__init__()
        self.kind = c['model_type']
        p = c['classifier_dropout'] if c.get('classifier_dropout') is not None else c['hidden_dropout_prob']
        if self.kind == 'roberta':
            self.roberta, self.classifier = BertModel(c), RobertaClassificationHead(c, p)
        else:
            self.bert, self.dropout, self.classifier = BertModel(c, add_pooling_layer=True), nn.Dropout(p), nn.Linear(c['hidden_size'], num_labels(c))

    def forward(self, inputs):
        if self.kind == 'roberta':
            return self.classifier(self.roberta(*text_tensors(inputs)))
        return self.classifier(self.dropout(self.bert.pooler(self.bert(*text_tensors(inputs)))))

    def loss(self, logits, inputs):
        return F.cross_entropy(logits, torch.tensor(inputs['labels']))

# ---- GPT-2 (modeling_gpt2.py) ------------------------------------------------------------------


class Conv1D(nn.Module):
    def __init__(self, nf, nx):
        super().__init__()
        self.weight, self.bias = nn.Parameter(torch.empty(nx, nf)), nn.Parameter(torch.zeros(nf))

    def forward(self, x):
        out = torch.addmm(self.bias, x.reshape(-1, x.shape[-1]), self.weight)
        return out.view(x.shape[:-1] + (self.weight.shape[1],))


class GPT2Attention(nn.Module):
    def __init__(self, c, layer_idx):
        super().__init__()
        E, n = c['n_embd'], c['n_positions']
        self.c, self.layer_idx = c, layer_idx
        self.c_attn, self.c_proj = Conv1D(3 * E, E), Conv1D(E, E)
        self.register_buffer('bias', torch.tril(torch.ones((n, n), dtype=torch.bool)).view(1, 1, n, n), persistent=False)

    def forward(self, x, mask):
        E, nh = self.c['n_embd'], self.c['n_head']
        q, k, v = (heads(t, nh) for t in self.c_attn(x).split(E, dim=2))
        w = q @ k.transpose(-1, -2)
        if self.c.get('scale_attn_weights', True):
            w = w / torch.full([], v.size(-1) ** 0.5, dtype=w.dtype)
        if self.c.get('scale_attn_by_inverse_layer_idx', False):
            w = w / float(self.layer_idx + 1)
        tq, tk = q.size(-2), k.size(-2)
        causal = self.bias[:, :, tk - tq:tk, :tk]
        w = torch.where(causal, w, torch.full([], torch.finfo(w.dtype).min, dtype=w.dtype))
        if mask is not None:
            w = w + mask
        return self.c_proj(merge(F.softmax(w, dim=-1) @ v))


class GPT2MLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        inner = c.get('n_inner') or 4 * c['n_embd']
        self.c_fc, self.c_proj, self.act = Conv1D(inner, c['n_embd']), Conv1D(c['n_embd'], inner), act_fn(c['activation_function'])

    def forward(self, x):
        return self.c_proj(self.act(self.c_fc(x)))


class GPT2Block(nn.Module):
    def __init__(self, c, i):
        super().__init__()
        E, eps = c['n_embd'], c['layer_norm_epsilon']
        self.ln_1, self.attn, self.ln_2, self.mlp = nn.LayerNorm(E, eps=eps), GPT2Attention(c, i), nn.LayerNorm(E, eps=eps), GPT2MLP(c)

    def forward(self, x, mask):
        x = x + self.attn(self.ln_1(x), mask)
        return x + self.mlp(self.ln_2(x))


class GPT2Model(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(c['vocab_size'], c['n_embd']), nn.Embedding(c['n_positions'], c['n_embd'])
        self.h = nn.ModuleList([GPT2Block(c, i) for i in range(c['n_layer'])])
        self.ln_f = nn.LayerNorm(c['n_embd'], eps=c['layer_norm_epsilon'])


class GPT2LMHeadModel(nn.Module):
    tied = ['lm_head.weight']

    def __init__(self, c):
        super().__init__()
        self.transformer = GPT2Model(c)
        self.lm_head = nn.Linear(c['n_embd'], c['vocab_size'], bias=False)
        self.lm_head.weight = self.transformer.wte.weight

    def forward(self, inputs):
        tr = self.transformer
        ids = torch.tensor(inputs['input_ids'])
        x = tr.wte(ids) + tr.wpe(torch.arange(ids.shape[1]).unsqueeze(0))
        mask = extended_mask(torch.tensor(inputs['attention_mask']), x.dtype) if 'attention_mask' in inputs else None
        for block in tr.h:
            x = block(x, mask)
        return self.lm_head(tr.ln_f(x))

    def loss(self, logits, inputs):
        labels = torch.tensor(inputs['labels'])
        shift_logits, shift_labels = logits[..., :-1, :].contiguous(), labels[..., 1:].contiguous()
        return F.cross_entropy(shift_logits.view(-1, shift_logits.size(-1)), shift_labels.view(-1))

# ---- ViT / DeiT (modeling_vit.py, modeling_deit.py) --------------------------------------------


class PatchEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.projection = nn.Conv2d(c['num_channels'], c['hidden_size'], kernel_size=c['patch_size'], stride=c['patch_size'])

    def forward(self, x):
        return self.projection(x).flatten(2).transpose(1, 2)


class ViTEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        D, n = c['hidden_size'], (c['image_size'] // c['patch_size']) ** 2
        self.deit = c['model_type'] == 'deit'
        self.cls_token = nn.Parameter(torch.zeros(1, 1, D))
        if self.deit:
            self.distillation_token = nn.Parameter(torch.zeros(1, 1, D))
        self.position_embeddings = nn.Parameter(torch.zeros(1, n + (2 if self.deit else 1), D))
        self.patch_embeddings = PatchEmbeddings(c)

    def forward(self, x):
        e = self.patch_embeddings(x)
        toks = [self.cls_token.expand(e.shape[0], -1, -1)]
        if self.deit:
            toks.append(self.distillation_token.expand(e.shape[0], -1, -1))
        return torch.cat(toks + [e], dim=1) + self.position_embeddings


class ViTAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = BertSelfAttention(c['hidden_size'], c['num_attention_heads'])
        self.output = nn.Module()
        self.output.dense = nn.Linear(c['hidden_size'], c['hidden_size'])

    def forward(self, x):
        return self.output.dense(self.attention(x, None))


class ViTLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        D, eps = c['hidden_size'], c['layer_norm_eps']
        self.attention = ViTAttention(c)
        self.intermediate = Intermediate(D, c['intermediate_size'], c['hidden_act'])
        self.output = nn.Module()
        self.output.dense = nn.Linear(c['intermediate_size'], D)
        self.layernorm_before, self.layernorm_after = nn.LayerNorm(D, eps=eps), nn.LayerNorm(D, eps=eps)

    def forward(self, x):
        x = self.attention(self.layernorm_before(x)) + x
        return self.output.dense(self.intermediate(self.layernorm_after(x))) + x


class ViTModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings = ViTEmbeddings(c)
        self.encoder = Encoder([ViTLayer(c) for _ in range(c['num_hidden_layers'])])
        self.layernorm = nn.LayerNorm(c['hidden_size'], eps=c['layer_norm_eps'])

    def forward(self, x):
        x = self.embeddings(x)
        for layer in self.encoder.layer:
            x = layer(x)
        return self.layernorm(x)


class ImageClassifier(nn.Module):
    """ViTForImageClassification (vit + classifier) or DeiTForImageClassificationWithTeacher."""
    tied = []

    def __init__(self, c):
        super().__init__()
        D, L = c['hidden_size'], c['num_labels']
        self.kind = c['model_type']
        if self.kind == 'deit':
            self.deit, self.cls_classifier, self.distillation_classifier = ViTModel(c), nn.Linear(D, L), nn.Linear(D, L)
        else:
            self.vit, self.classifier = ViTModel(c), nn.Linear(D, L)

    def forward(self, inputs):
        x = torch.tensor(inputs['pixel_values'], dtype=torch.float64)
        if self.kind == 'deit':
            h = self.deit(x)
            return (self.cls_classifier(h[:, 0, :]) + self.distillation_classifier(h[:, 1, :])) / 2
        return self.classifier(self.vit(x)[:, 0, :])

    def loss(self, logits, inputs):
        return F.cross_entropy(logits, torch.tensor(inputs['labels']))

# ---- Llama (modeling_llama.py) and Qwen2 (modeling_qwen2.py) ------------------------------------


def head_dim(c):
    """getattr(config, 'head_dim', hidden_size // num_attention_heads), as Qwen2Attention reads it."""
    return c.get('head_dim') or c['hidden_size'] // c['num_attention_heads']


def llama_biases(c):
    """Which linear layers have biases: LlamaConfig's attention_bias and mlp_bias, or Qwen2's q/k/v only."""
    if c['model_type'] == 'qwen2':
        return dict(qkv=True, o=False, mlp=False)
    return dict(qkv=c['attention_bias'], o=c['attention_bias'], mlp=c['mlp_bias'])


class LlamaRMSNorm(nn.Module):
    def __init__(self, n, eps):
        super().__init__()
        self.weight, self.variance_epsilon = nn.Parameter(torch.ones(n)), eps

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.variance_epsilon))


def llama3_inv_freq(inv_freq, s):
    """transformers' _compute_llama3_parameters on the default inv_freq (float32 tensor ops)."""
    factor, low, high, old = s['factor'], s['low_freq_factor'], s['high_freq_factor'], s['original_max_position_embeddings']
    low_wavelen, high_wavelen = old / low, old / high
    wavelen = 2 * math.pi / inv_freq
    scaled = torch.where(wavelen > low_wavelen, inv_freq / factor, inv_freq)
    smooth = (old / wavelen - low) / (high - low)
    smoothed = (1 - smooth) * scaled / factor + smooth * scaled
    medium = ~(wavelen < high_wavelen) * ~(wavelen > low_wavelen)
    return torch.where(medium, smoothed, scaled)


def llama_rotary(c, T, dtype):
    """LlamaRotaryEmbedding (default rope type, or rope_scaling 'llama3'): float32 angles, cos/sin
    cast to the model's dtype."""
    D = head_dim(c)
    inv_freq = 1.0 / (c['rope_theta'] ** (torch.arange(0, D, 2, dtype=torch.int64).float() / D))
    if c.get('rope_scaling'):
        inv_freq = llama3_inv_freq(inv_freq, c['rope_scaling'])
    freqs = (inv_freq[None, :, None] @ torch.arange(T).float()[None, None, :]).transpose(1, 2)[0]  # [T, D/2]
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos().to(dtype), emb.sin().to(dtype)


def rotate_half(x):
    x1, x2 = x[..., :x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


class LlamaAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        C, H, KV, D, b = c['hidden_size'], c['num_attention_heads'], c['num_key_value_heads'], head_dim(c), llama_biases(c)
        self.c = c
        self.q_proj, self.k_proj, self.v_proj = nn.Linear(C, H * D, bias=b['qkv']), nn.Linear(C, KV * D, bias=b['qkv']), nn.Linear(C, KV * D, bias=b['qkv'])
        self.o_proj = nn.Linear(H * D, C, bias=b['o'])

    def forward(self, x, cos, sin, mask):
        B, T, _ = x.shape
        H, KV, D = self.c['num_attention_heads'], self.c['num_key_value_heads'], head_dim(self.c)
        q = self.q_proj(x).view(B, T, H, D).transpose(1, 2)
        k = self.k_proj(x).view(B, T, KV, D).transpose(1, 2)
        v = self.v_proj(x).view(B, T, KV, D).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        k, v = (t[:, :, None].expand(B, KV, H // KV, T, D).reshape(B, H, T, D) for t in (k, v))  # repeat_kv
        w = (q @ k.transpose(2, 3)) * D ** -0.5
        causal = torch.tril(torch.ones(T, T, dtype=torch.bool))
        w = torch.where(causal, w, torch.full([], torch.finfo(w.dtype).min, dtype=w.dtype))
        if mask is not None:
            w = w + mask
        return self.o_proj(merge(F.softmax(w, dim=-1) @ v))


class LlamaMLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        C, I, b = c['hidden_size'], c['intermediate_size'], llama_biases(c)['mlp']
        self.gate_proj, self.up_proj, self.down_proj = nn.Linear(C, I, bias=b), nn.Linear(C, I, bias=b), nn.Linear(I, C, bias=b)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class LlamaDecoderLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        C, eps = c['hidden_size'], c['rms_norm_eps']
        self.self_attn, self.mlp = LlamaAttention(c), LlamaMLP(c)
        self.input_layernorm, self.post_attention_layernorm = LlamaRMSNorm(C, eps), LlamaRMSNorm(C, eps)

    def forward(self, x, cos, sin, mask):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, mask)
        return x + self.mlp(self.post_attention_layernorm(x))


class LlamaModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embed_tokens = nn.Embedding(c['vocab_size'], c['hidden_size'], padding_idx=c.get('pad_token_id'))
        self.layers = nn.ModuleList([LlamaDecoderLayer(c) for _ in range(c['num_hidden_layers'])])
        self.norm = LlamaRMSNorm(c['hidden_size'], c['rms_norm_eps'])


class LlamaForCausalLM(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.model = LlamaModel(c)
        self.lm_head = nn.Linear(c['hidden_size'], c['vocab_size'], bias=False)
        self.tied = ['lm_head.weight'] if c.get('tie_word_embeddings') else []
        if self.tied:
            self.lm_head.weight = self.model.embed_tokens.weight

    def forward(self, inputs):
        ids = torch.tensor(inputs['input_ids'])
        x = self.model.embed_tokens(ids)
        cos, sin = llama_rotary(self.c, ids.shape[1], x.dtype)
        mask = extended_mask(torch.tensor(inputs['attention_mask']), x.dtype) if 'attention_mask' in inputs else None
        for layer in self.model.layers:
            x = layer(x, cos, sin, mask)
        return self.lm_head(self.model.norm(x))

    loss = GPT2LMHeadModel.loss

# ---- fixtures -----------------------------------------------------------------------------------


def build(c):
    kind = c['model_type']
    if kind in ('bert', 'roberta'):
        model = SequenceClassification(c) if is_sequence_classification(c) else MaskedLM(c)
    elif kind in ('llama', 'qwen2'):
        model = LlamaForCausalLM(c)
    else:
        model = GPT2LMHeadModel(c) if kind == 'gpt2' else ImageClassifier(c)
    return model.double().eval()


def fixture_name(c):
    return c['model_type'] + ('-cls' if is_sequence_classification(c) else '')


def tied_keys(model):
    return MaskedLM.tied[model.kind] if isinstance(model, MaskedLM) else model.tied


def randomize(model, seed):
    """Seeded weights far from HF's init (LayerNorms and biases too), rounded to float32."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            r = torch.randn(p.shape, generator=g, dtype=torch.float64)
            is_ln = p.dim() == 1 and name.endswith('weight')
            p.copy_((1 + 0.1 * r) if is_ln else (0.1 * r if p.dim() == 1 else 0.2 * r))
            p.copy_(p.float().double())


def text_inputs(g, vocab, pad, B, T, pads, types):
    ids = torch.randint(0, vocab, (B, T), generator=g)
    ids[ids == pad] = (pad + 1) % vocab
    mask = torch.ones(B, T, dtype=torch.long)
    for b, n in enumerate(pads):
        if n:
            ids[b, T - n:], mask[b, T - n:] = pad, 0
    labels = torch.full((B, T), -100, dtype=torch.long)
    labels[:, 1:T:3] = torch.randint(0, vocab, (B, len(range(1, T, 3))), generator=g)
    out = {'input_ids': ids.tolist(), 'attention_mask': mask.tolist(), 'labels': labels.tolist()}
    if types:
        out['token_type_ids'] = [[0] * (T // 2) + [1] * (T - T // 2)] + [[0] * T] * (B - 1)
    return out


def configs():
    bert = dict(model_type='bert', architectures=['BertForMaskedLM'], vocab_size=50, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                intermediate_size=48, hidden_act='gelu', hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1, max_position_embeddings=16,
                type_vocab_size=2, initializer_range=0.02, layer_norm_eps=1e-12, pad_token_id=0, position_embedding_type='absolute', tie_word_embeddings=True)
    roberta = dict(bert, model_type='roberta', architectures=['RobertaForMaskedLM'], num_attention_heads=2, intermediate_size=40, hidden_act='gelu_new',
                   max_position_embeddings=20, type_vocab_size=1, layer_norm_eps=1e-5, pad_token_id=1, bos_token_id=0, eos_token_id=2)
    gpt2 = dict(model_type='gpt2', architectures=['GPT2LMHeadModel'], vocab_size=48, n_positions=12, n_embd=32, n_layer=2, n_head=4, n_inner=None,
                activation_function='gelu_new', resid_pdrop=0.1, embd_pdrop=0.1, attn_pdrop=0.1, layer_norm_epsilon=1e-5, initializer_range=0.02,
                scale_attn_weights=True, scale_attn_by_inverse_layer_idx=False, reorder_and_upcast_attn=False, bos_token_id=47, eos_token_id=47, tie_word_embeddings=True)
    vit = dict(model_type='vit', architectures=['ViTForImageClassification'], hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=40,
               hidden_act='gelu', hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, initializer_range=0.02, layer_norm_eps=1e-12, image_size=8,
               patch_size=4, num_channels=3, qkv_bias=True, encoder_stride=4, num_labels=5)
    deit = dict(vit, model_type='deit', architectures=['DeiTForImageClassificationWithTeacher'])
    # As HF's save_pretrained writes them: id2label and label2id, num_labels derived.
    labels3, labels4 = ['adventure', 'fiction', 'news'], ['lore', 'mystery', 'religion', 'romance']
    bert_cls = dict(bert, architectures=['BertForSequenceClassification'], id2label={str(i): l for i, l in enumerate(labels3)},
                    label2id={l: i for i, l in enumerate(labels3)}, classifier_dropout=None)
    roberta_cls = dict(roberta, architectures=['RobertaForSequenceClassification'], id2label={str(i): l for i, l in enumerate(labels4)},
                       label2id={l: i for i, l in enumerate(labels4)}, classifier_dropout=0.2)
    llama = dict(model_type='llama', architectures=['LlamaForCausalLM'], vocab_size=48, hidden_size=32, intermediate_size=40, num_hidden_layers=2,
                 num_attention_heads=4, num_key_value_heads=2, head_dim=8, hidden_act='silu', max_position_embeddings=16, initializer_range=0.02,
                 rms_norm_eps=1e-6, rope_theta=10000.0, rope_scaling=None, attention_bias=False, attention_dropout=0.0, mlp_bias=False, pretraining_tp=1,
                 tie_word_embeddings=False, bos_token_id=47, eos_token_id=47, pad_token_id=None, use_cache=True)
    llama_tied = dict(llama, num_attention_heads=2, num_key_value_heads=1, head_dim=16, intermediate_size=56, rope_theta=500000.0, attention_bias=True,
                      mlp_bias=True, tie_word_embeddings=True, rms_norm_eps=1e-5)
    # Qwen2Config's fields as save_pretrained writes them (sliding_window null when use_sliding_window is false).
    qwen2 = dict(model_type='qwen2', architectures=['Qwen2ForCausalLM'], vocab_size=48, hidden_size=32, intermediate_size=40, num_hidden_layers=2,
                 num_attention_heads=4, num_key_value_heads=2, hidden_act='silu', max_position_embeddings=16, initializer_range=0.02, rms_norm_eps=1e-6,
                 use_cache=True, tie_word_embeddings=False, rope_theta=1000000.0, rope_scaling=None, use_sliding_window=False, sliding_window=None,
                 max_window_layers=2, attention_dropout=0.0, bos_token_id=47, eos_token_id=47)
    qwen2_tied = dict(qwen2, num_attention_heads=2, num_key_value_heads=1, head_dim=8, intermediate_size=56, rope_theta=10000.0, tie_word_embeddings=True)
    # Llama 3.1's rope scaling, sized so that each of its three bands holds a frequency (head_dim 16,
    # theta 10000: wavelengths 6.3, 19.9, 62.8, ... against 32 / 4 and 32 / 1).
    llama_rope3 = dict(llama, num_attention_heads=2, num_key_value_heads=1, head_dim=16, max_position_embeddings=64,
                       rope_scaling=dict(factor=8.0, low_freq_factor=1.0, high_freq_factor=4.0, original_max_position_embeddings=32, rope_type='llama3'))
    # New fixtures go at the end: seeds follow the position.
    return {'bert': bert, 'roberta': roberta, 'gpt2': gpt2, 'vit': vit, 'deit': deit, 'bert-cls': bert_cls, 'roberta-cls': roberta_cls,
            'llama': llama, 'llama-tied': llama_tied, 'qwen2': qwen2, 'qwen2-tied': qwen2_tied, 'llama-rope3': llama_rope3}


def inputs_for(name, c, g):
    if name in ('bert-cls', 'roberta-cls'):
        out = text_inputs(g, c['vocab_size'], c['pad_token_id'], 3, 8, [0, 3, 5], name == 'bert-cls')
        out['labels'] = torch.randint(0, num_labels(c), (3,), generator=g).tolist()
        return out
    if name in ('bert', 'roberta'):
        return text_inputs(g, c['vocab_size'], c['pad_token_id'], 2, 8, [0, 3], name == 'bert')
    if name in ('gpt2', 'llama', 'llama-tied', 'qwen2', 'qwen2-tied', 'llama-rope3'):
        return text_inputs(g, c['vocab_size'], c['eos_token_id'], 2, 8, [0, 2], False)
    px = torch.randn(2, c['num_channels'], c['image_size'], c['image_size'], generator=g, dtype=torch.float64).float()
    return {'pixel_values': px.tolist(), 'labels': [1, 4]}


def save_state(model, path):
    """As save_pretrained: persistent entries of state_dict() minus HF's tied duplicates."""
    skip = set(tied_keys(model))
    write_safetensors(path, {k: v for k, v in model.state_dict().items() if k not in skip})


def make_fixtures():
    for i, (name, c) in enumerate(configs().items()):
        d = os.path.join(FIXTURES, name)
        os.makedirs(d, exist_ok=True)
        model = build(c)
        randomize(model, 1000 + i)
        inputs = inputs_for(name, c, torch.Generator().manual_seed(2000 + i))
        with torch.no_grad():
            logits = model(inputs)
            loss = model.loss(logits, inputs)
        save_state(model, os.path.join(d, 'model.safetensors'))
        with open(os.path.join(d, 'config.json'), 'w') as f:
            json.dump(c, f, indent=2)
        with open(os.path.join(d, 'inputs.json'), 'w') as f:
            json.dump(inputs, f)
        with open(os.path.join(d, 'logits.json'), 'w') as f:
            json.dump({'shape': list(logits.shape), 'logits': logits.reshape(-1).tolist(), 'loss': loss.item()}, f)
        sizes = ', '.join(f'{fn} {os.path.getsize(os.path.join(d, fn)) / 1024:.1f} KB' for fn in sorted(os.listdir(d)))
        print(f'{name}: logits {list(logits.shape)}, loss {loss.item():.6f}; {sizes}')


def load_checkpoint(directory):
    """A checkpoint directory written by ligo (model.safetensors + config.json) as (config, model):
    float64, eval mode. Also used by continue_in_torch.py."""
    with open(os.path.join(directory, 'config.json')) as f:
        c = json.load(f)
    model = build(c)
    state = read_safetensors(os.path.join(directory, 'model.safetensors'))
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if k not in tied_keys(model)]
    if missing:
        sys.exit(f'{directory}: missing keys {missing}')
    if unexpected:
        print(f'unexpected keys (ignored): {unexpected}', file=sys.stderr)
    return c, model


def check(directory, inputs_path):
    c, model = load_checkpoint(directory)
    with open(inputs_path or os.path.join(FIXTURES, fixture_name(c), 'inputs.json')) as f:
        inputs = json.load(f)
    with torch.no_grad():
        logits = model(inputs)
    print(json.dumps({'model_type': c['model_type'], 'shape': list(logits.shape), 'logits': logits.reshape(-1).tolist()}))


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--check', metavar='DIR', help='print the logits of a ligo checkpoint directory on the fixture inputs')
    ap.add_argument('--inputs', metavar='FILE', help='inputs.json to use with --check (default: the fixture of its model_type)')
    args = ap.parse_args()
    if args.check:
        check(args.check, args.inputs)
    else:
        make_fixtures()
