//go:build !amd64 || purego

package match

// motionHits writes to hits (len(hits) ≥ len(agree)), in order, the agreements whose
// motion falls in the histogram, and returns their number.
func motionHits(agree []agreement, cedges []cedge, pedges []pmotion, hits []edgeHit) int {
	return motionsGo(agree, cedges, pedges, hits)
}
