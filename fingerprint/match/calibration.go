package match

// calibrate maps a raw similarity onto the calibrated scale −10·log10(FMR).
// TODO(calibration): replaced by the fitted table once impostor distributions are measured.
func calibrate(raw float64) float64 { return raw * 100 }
