// Package eval computes biometric accuracy metrics (verification error
// rates, identification rank and FNIR/FPIR, score calibration) shared by
// every modality.
//
// Conventions used throughout:
//   - Scores are similarities: higher means more alike.
//   - A comparison is a match at threshold t when score ≥ t, so
//     FMR(t) = #{impostor ≥ t}/#impostor and FNMR(t) = #{genuine < t}/#genuine
//     (as in the FVC competitions).
//   - Scores must be finite; matching failures should be mapped to the lowest
//     score by the caller before evaluation (FVC assigns them score 0).
//   - Rates are fractions in [0, 1]; String methods print percentages.
package eval
