package org.xla4j.cli;

import org.xla4j.models.moe.FewTokensForm;

/**
 * The few-token forms {@code xla4j bench moe --few-tokens} takes: the model's four ({@link FewTokensForm}) and two
 * bench-only experiments on them (issue 10, decode at Grok-1's layer), e.g. {@code --few-tokens
 * reduce,reduce-minor,gather,gather-slice-fusion}.
 */
enum MoeBenchForm {
  GATHER(FewTokensForm.GATHER),
  SLICE(FewTokensForm.SLICE),
  SLICE_LOOP(FewTokensForm.SLICE_LOOP),
  REDUCE(FewTokensForm.REDUCE),
  /** GATHER compiled with {@code xla_gpu_enable_dynamic_slice_fusion=true}: whether cuBLAS reads the expert in place. */
  GATHER_SLICE_FUSION(FewTokensForm.GATHER),
  /**
   * REDUCE over weights stored with the contraction axis minor ({@code linear}/{@code linear_v} as {@code [E, F, D]},
   * {@code linear_1} as {@code [E, D, F]}), transposed back in the program: a row reduction for XLA, which its
   * reduction emitter runs faster than the column reduction of the model's layout. The model's layout is unchanged.
   */
  REDUCE_MINOR(FewTokensForm.REDUCE);

  final FewTokensForm form;

  MoeBenchForm(FewTokensForm form) { this.form = form; }

  /** Whether the weights are stored contraction-minor for this form. */
  boolean minorLayout() { return this == REDUCE_MINOR; }

  String label() { return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'); }
}
