//go:build !openjpeg || !cgo

package jpeg2000

import "image"

const built = false

func decode([]byte, Format) (image.Image, error) { return nil, ErrNotBuiltIn }

func decodeConfig([]byte, Format) (image.Config, error) { return image.Config{}, ErrNotBuiltIn }

func encode(image.Image, Options) ([]byte, error) { return nil, ErrNotBuiltIn }
