/**
 * Purpose alignment: how well a proposed action fits the purpose its agent registered and
 * the task of its session, scored offline with SIF-weighted word vectors.
 */
export {
  type AlignmentConfig,
  DEFAULT_ALIGNMENT_CONFIG,
  alignmentConfigSchema,
  parseAlignmentConfig,
} from "./alignment-config.js";
export {
  type AlignmentInput,
  type AlignmentResult,
  type AlignmentSimilarities,
  assessAlignment,
} from "./assess-alignment.js";
export { type WordVectorBuildResult, buildWordVectors } from "./build-word-vectors.js";
export { type IntentValue, type IntentValueKind } from "./intent-values.js";
export { type BuildPurposeModelOptions, type PurposeModel, buildPurposeModel } from "./purpose-model.js";
export { type TextEmbedding, embedText } from "./text-embedding.js";
export { tokenize } from "./tokenize.js";
export { cosine } from "./vector-math.js";
export { DEFAULT_WORD_VECTOR_PATH } from "./word-vector-file.js";
export { type LoadWordVectorsOptions, WordVectorFileError, WordVectors, loadWordVectors } from "./word-vectors.js";
