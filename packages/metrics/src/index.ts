/**
 * @mmx/metrics: evaluation metrics computed on the host from mmx Arrays (error, NLL, ECE, a
 * reliability table, a streaming accumulator), the paper's per-class singular-value spectra, and the
 * largest Hessian eigenvalue (a flatness measure).
 */
export { accuracy, error, nll } from "./classification.js";
export { ece, reliabilityTable, type CalibrationOptions, type ReliabilityBin } from "./calibration.js";
export { metricsAccumulator, type MetricsAccumulator, type MetricsResult } from "./accumulator.js";
export { classSpectra, type ClassSpectrum, type Spectra } from "./spectra.js";
export { largestHessianEigenvalue, type HessianEigen, type HessianEigenOptions } from "./flatness.js";
export type { Labels } from "./host.js";
export { fitTemperature, calibrationReport, type TemperatureFit, type TemperatureOptions, type CalibrationReport, type CalibrationScores } from "./temperature.js";
