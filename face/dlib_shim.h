//go:build dlib

// C interface to the dlib face pipeline used by dlib.go. Every function catches C++
// exceptions and reports them through err (a buffer of errlen bytes); none of them throws.
#ifndef BIOMESH_FACE_DLIB_SHIM_H
#define BIOMESH_FACE_DLIB_SHIM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bm_dlib bm_dlib;

// bm_dlib_open loads the 5-point shape predictor and, unless net_path is NULL or empty,
// the ResNet embedding network. It returns NULL and fills err on failure.
bm_dlib *bm_dlib_open(const char *shape_path, const char *net_path, char *err, int errlen);
void bm_dlib_close(bm_dlib *h);

// bm_dlib_detect runs the HOG frontal face detector on a packed RGB image (w*h*3 bytes)
// and writes up to max detections as 5 doubles each (left, top, right, bottom, score).
// It returns the number of faces found (possibly more than max), or -1 on error.
int bm_dlib_detect(bm_dlib *h, const uint8_t *rgb, int w, int h_, double *out, int max,
                   char *err, int errlen);

// bm_dlib_load_cnn loads dlib's CNN (MMOD) face detector (mmod_human_face_detector.dat)
// for bm_dlib_detect_cnn. It returns 0, or -1 on error.
int bm_dlib_load_cnn(bm_dlib *h, const char *path, char *err, int errlen);

// bm_dlib_detect_cnn is bm_dlib_detect with the CNN detector, which finds faces the HOG
// detector misses (turned, tilted, partly covered) at many times its cost.
int bm_dlib_detect_cnn(bm_dlib *h, const uint8_t *rgb, int w, int h_, double *out, int max,
                       char *err, int errlen);

// bm_dlib_landmarks fits the 5-point shape predictor in box (left, top, right, bottom)
// and writes 10 doubles (x0, y0, ..., x4, y4). It returns 0, or -1 on error.
int bm_dlib_landmarks(bm_dlib *h, const uint8_t *rgb, int w, int h_, const double *box,
                      double *out, char *err, int errlen);

// bm_dlib_embed computes the 128-D embeddings of n packed RGB 150x150 chips laid out one
// after another, writing n*128 floats. It returns 0, or -1 on error.
int bm_dlib_embed(bm_dlib *h, const uint8_t *chips, int n, float *out, char *err, int errlen);

// bm_dlib_chip cuts the 150x150 chip with dlib's own alignment (get_face_chip_details with
// padding 0.25, extract_image_chip) from 10 landmark coordinates, rounded to pixels as
// dlib's shape predictor reports them. It exists to check the Go alignment against dlib's.
int bm_dlib_chip(bm_dlib *h, const uint8_t *rgb, int w, int h_, const double *landmarks,
                 uint8_t *out, char *err, int errlen);

#ifdef __cplusplus
}
#endif

#endif
