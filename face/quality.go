package face

import (
	"fmt"
	"math"
	"strings"
)

// Gates are the quality thresholds a face must pass to be enrolled. Each has a name that
// appears in Quality.Failed. Measures on the chip (blur, brightness) are taken on its
// central half, which holds the eyes, nose and mouth whatever the chip size.
type Gates struct {
	// MinFaceSize is the smallest detector box width, in source pixels ("face size").
	MinFaceSize float64 `json:"min_face_size"`
	// MinEyeDistance is the smallest distance between the eye centres, in source pixels
	// ("inter-eye distance"). ISO/IEC 19794-5's token face asks for 60; 30 still embeds well.
	MinEyeDistance float64 `json:"min_eye_distance"`
	// MinSharpness is the lowest variance of the Laplacian of the chip's luma ("blur").
	MinSharpness float64 `json:"min_sharpness"`
	// MinBrightness and MaxBrightness bound the chip's mean luma, 0–255 ("brightness").
	MinBrightness float64 `json:"min_brightness"`
	MaxBrightness float64 `json:"max_brightness"`
	// MaxYaw bounds the nose's sideways offset from the eyes' midline, as a fraction of
	// the inter-eye distance (about sin(yaw)/2 for a real head), and MaxRoll the tilt
	// of the eye line in degrees ("frontal pose").
	MaxYaw  float64 `json:"max_yaw"`
	MaxRoll float64 `json:"max_roll"`
}

// DefaultGates are the enrolment thresholds. The blur and brightness limits were set on
// the johns and goface sets: every face there passes, and a Gaussian blur of σ = 2 chip
// pixels or a half-dark exposure fails (see quality_test.go).
var DefaultGates = Gates{
	MinFaceSize:    40,
	MinEyeDistance: 20,
	MinSharpness:   15,
	MinBrightness:  40,
	MaxBrightness:  220,
	MaxYaw:         0.30,
	MaxRoll:        30,
}

// Gate names, as reported in Quality.Failed.
const (
	GateFaceSize    = "face size"
	GateEyeDistance = "inter-eye distance"
	GateBlur        = "blur"
	GateBrightness  = "brightness"
	GatePose        = "frontal pose"
)

// Quality holds a face's measures and the gates it failed.
type Quality struct {
	FaceSize    float64  `json:"face_size"`    // detector box width, source pixels (0 for an aligned chip)
	EyeDistance float64  `json:"eye_distance"` // source pixels (0 for an aligned chip)
	Sharpness   float64  `json:"sharpness"`    // variance of the chip's Laplacian
	Brightness  float64  `json:"brightness"`   // mean chip luma, 0–255
	Yaw         float64  `json:"yaw"`          // nose offset / inter-eye distance, signed
	Roll        float64  `json:"roll"`         // eye line tilt in degrees, signed
	Failed      []string `json:"failed,omitempty"`
}

// OK reports whether every gate passed.
func (q Quality) OK() bool { return len(q.Failed) == 0 }

func (q Quality) String() string {
	s := fmt.Sprintf("face %.0f px, eyes %.0f px, sharpness %.0f, brightness %.0f, yaw %.2f, roll %.0f°",
		q.FaceSize, q.EyeDistance, q.Sharpness, q.Brightness, q.Yaw, q.Roll)
	if !q.OK() {
		s += "; failed: " + strings.Join(q.Failed, ", ")
	}
	return s
}

// measureFace fills the geometric measures from a detection.
func measureFace(q *Quality, f Face) {
	q.FaceSize = float64(f.Box.Dx())
	l := f.Landmarks
	le, re := l.LeftEye(), l.RightEye()
	q.EyeDistance = dist(le, re)
	// Eye line from the subject's right eye (image left) to the left eye (image right).
	dx, dy := le.X-re.X, le.Y-re.Y
	q.Roll = math.Atan2(dy, dx) * 180 / math.Pi
	if q.EyeDistance > 0 {
		// Nose offset along the eye line, from the midpoint between the eyes.
		m := mid(le, re)
		q.Yaw = ((l.Nose.X-m.X)*dx + (l.Nose.Y-m.Y)*dy) / (q.EyeDistance * q.EyeDistance)
	}
}

// measureChip fills blur and brightness from an aligned chip.
func measureChip(q *Quality, chip *RGB) {
	q.Sharpness, q.Brightness = chipMeasures(chip)
}

func chipMeasures(chip *RGB) (sharpness, brightness float64) {
	w, h := chip.W, chip.H
	luma := make([]float64, w*h)
	for i := range luma {
		r, g, b := float64(chip.Pix[3*i]), float64(chip.Pix[3*i+1]), float64(chip.Pix[3*i+2])
		luma[i] = 0.299*r + 0.587*g + 0.114*b
	}
	x0, x1, y0, y1 := w/4, w-w/4, h/4, h-h/4
	var sum, lsum, lsq float64
	var n int
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			c := luma[y*w+x]
			sum += c
			lap := luma[(y-1)*w+x] + luma[(y+1)*w+x] + luma[y*w+x-1] + luma[y*w+x+1] - 4*c
			lsum += lap
			lsq += lap * lap
			n++
		}
	}
	if n == 0 {
		return 0, 0
	}
	mean := lsum / float64(n)
	// The Laplacian's response scales with resolution; normalise to a 150-pixel chip so
	// one threshold fits every embedder.
	norm := math.Pow(float64(w)/150, 4)
	return (lsq/float64(n) - mean*mean) * norm, sum / float64(n)
}

// check applies the gates; geometric gates are skipped for an aligned chip (geometric
// measures 0), whose geometry is fixed by construction.
func (g Gates) check(q *Quality, aligned bool) {
	q.Failed = q.Failed[:0]
	if !aligned {
		if q.FaceSize < g.MinFaceSize {
			q.Failed = append(q.Failed, GateFaceSize)
		}
		if q.EyeDistance < g.MinEyeDistance {
			q.Failed = append(q.Failed, GateEyeDistance)
		}
	}
	if q.Sharpness < g.MinSharpness {
		q.Failed = append(q.Failed, GateBlur)
	}
	if q.Brightness < g.MinBrightness || q.Brightness > g.MaxBrightness {
		q.Failed = append(q.Failed, GateBrightness)
	}
	if !aligned && (math.Abs(q.Yaw) > g.MaxYaw || math.Abs(q.Roll) > g.MaxRoll) {
		q.Failed = append(q.Failed, GatePose)
	}
	if len(q.Failed) == 0 {
		q.Failed = nil
	}
}
