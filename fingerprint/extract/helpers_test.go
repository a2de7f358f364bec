package extract

import "image"

type imageWithName struct {
	name string
	img  *image.Gray
}
