//go:build dlib

// The dlib side of the face package's dlib backend: the HOG frontal face detector, the
// 5-point shape predictor and the ResNet-34-style embedding network of dlib's
// dnn_face_recognition example (dlib_face_recognition_resnet_model_v1.dat). Go validates
// every argument before calling; the shim still checks sizes and turns any exception into
// an error message, because an exception crossing into Go would abort the process.

#include "dlib_shim.h"

#include <cmath>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include <dlib/dnn.h>
#include <dlib/image_processing.h>
#include <dlib/image_processing/frontal_face_detector.h>

namespace {

using namespace dlib;

// The network must be declared exactly as it was trained for the weights to deserialize;
// this is the architecture of dlib_face_recognition_resnet_model_v1.
template <template <int, template <typename> class, int, typename> class block, int N,
          template <typename> class BN, typename SUBNET>
using residual = add_prev1<block<N, BN, 1, tag1<SUBNET>>>;

template <template <int, template <typename> class, int, typename> class block, int N,
          template <typename> class BN, typename SUBNET>
using residual_down = add_prev2<avg_pool<2, 2, 2, 2, skip1<tag2<block<N, BN, 2, tag1<SUBNET>>>>>>;

template <int N, template <typename> class BN, int stride, typename SUBNET>
using block = BN<con<N, 3, 3, 1, 1, relu<BN<con<N, 3, 3, stride, stride, SUBNET>>>>>;

template <int N, typename SUBNET> using ares = relu<residual<block, N, affine, SUBNET>>;
template <int N, typename SUBNET> using ares_down = relu<residual_down<block, N, affine, SUBNET>>;

template <typename SUBNET> using alevel0 = ares_down<256, SUBNET>;
template <typename SUBNET> using alevel1 = ares<256, ares<256, ares_down<256, SUBNET>>>;
template <typename SUBNET> using alevel2 = ares<128, ares<128, ares_down<128, SUBNET>>>;
template <typename SUBNET> using alevel3 = ares<64, ares<64, ares<64, ares_down<64, SUBNET>>>>;
template <typename SUBNET> using alevel4 = ares<32, ares<32, ares<32, SUBNET>>>;

using anet_type = loss_metric<fc_no_bias<128, avg_pool_everything<
    alevel0<alevel1<alevel2<alevel3<alevel4<
    max_pool<3, 3, 2, 2, relu<affine<con<32, 7, 7, 2, 2,
    input_rgb_image_sized<150>>>>>>>>>>>>>;

// The CNN face detector of dlib's dnn_mmod_face_detection example, as it was trained
// (mmod_human_face_detector.dat).
template <long num_filters, typename SUBNET> using con5d = con<num_filters, 5, 5, 2, 2, SUBNET>;
template <long num_filters, typename SUBNET> using con5 = con<num_filters, 5, 5, 1, 1, SUBNET>;
template <typename SUBNET>
using downsampler = relu<affine<con5d<32, relu<affine<con5d<32, relu<affine<con5d<16, SUBNET>>>>>>>>>;
template <typename SUBNET> using rcon5 = relu<affine<con5<45, SUBNET>>>;
using mmod_net_type = loss_mmod<con<1, 9, 9, 1, 1, rcon5<rcon5<rcon5<downsampler<
    input_rgb_image_pyramid<pyramid_down<6>>>>>>>>;

void fail(char *err, int errlen, const char *what) {
    if (err == nullptr || errlen <= 0) return;
    std::strncpy(err, what, errlen - 1);
    err[errlen - 1] = 0;
}

// view copies a packed RGB buffer into a dlib image. dlib's rgb_pixel is three bytes in
// R, G, B order, the same layout, but a copy keeps the Go memory untouched and unaliased.
void view(const uint8_t *rgb, int w, int h, matrix<rgb_pixel> &img) {
    img.set_size(h, w);
    std::memcpy(&img(0, 0), rgb, size_t(w) * size_t(h) * 3);
}

} // namespace

struct bm_dlib {
    frontal_face_detector detector;
    shape_predictor shapes;
    anet_type net;
    bool has_net = false;
    mmod_net_type cnn;
    bool has_cnn = false;
};

// put_boxes writes up to max detections as (left, top, right, bottom, confidence), the
// right and bottom edges exclusive, and returns how many there were.
template <class D> static int put_boxes(const std::vector<D> &dets, double *out, int max) {
    int n = int(dets.size());
    for (int i = 0; i < n && i < max; i++) {
        const rectangle &r = dets[i].rect;
        out[5 * i + 0] = r.left();
        out[5 * i + 1] = r.top();
        out[5 * i + 2] = r.right() + 1;
        out[5 * i + 3] = r.bottom() + 1;
        out[5 * i + 4] = dets[i].detection_confidence;
    }
    return n;
}

extern "C" {

bm_dlib *bm_dlib_open(const char *shape_path, const char *net_path, char *err, int errlen) {
    bm_dlib *h = nullptr;
    try {
        h = new bm_dlib;
        h->detector = get_frontal_face_detector();
        deserialize(shape_path) >> h->shapes;
        if (h->shapes.num_parts() != 5) {
            fail(err, errlen, "shape predictor does not have 5 parts");
            delete h;
            return nullptr;
        }
        if (net_path != nullptr && net_path[0] != 0) {
            deserialize(net_path) >> h->net;
            h->has_net = true;
        }
        return h;
    } catch (const std::exception &e) {
        fail(err, errlen, e.what());
    } catch (...) {
        fail(err, errlen, "unknown C++ exception");
    }
    delete h;
    return nullptr;
}

void bm_dlib_close(bm_dlib *h) { delete h; }

int bm_dlib_detect(bm_dlib *h, const uint8_t *rgb, int w, int h_, double *out, int max,
                   char *err, int errlen) {
    if (h == nullptr || rgb == nullptr || w <= 0 || h_ <= 0 || max < 0) {
        fail(err, errlen, "bad arguments");
        return -1;
    }
    try {
        matrix<rgb_pixel> img;
        view(rgb, w, h_, img);
        std::vector<rect_detection> dets;
        h->detector(img, dets, 0.0);
        return put_boxes(dets, out, max);
    } catch (const std::exception &e) {
        fail(err, errlen, e.what());
    } catch (...) {
        fail(err, errlen, "unknown C++ exception");
    }
    return -1;
}

int bm_dlib_load_cnn(bm_dlib *h, const char *path, char *err, int errlen) {
    if (h == nullptr || path == nullptr) {
        fail(err, errlen, "bad arguments");
        return -1;
    }
    try {
        deserialize(path) >> h->cnn;
        h->has_cnn = true;
        return 0;
    } catch (const std::exception &e) {
        fail(err, errlen, e.what());
    } catch (...) {
        fail(err, errlen, "unknown C++ exception");
    }
    return -1;
}

int bm_dlib_detect_cnn(bm_dlib *h, const uint8_t *rgb, int w, int h_, double *out, int max,
                       char *err, int errlen) {
    if (h == nullptr || rgb == nullptr || w <= 0 || h_ <= 0 || max < 0) {
        fail(err, errlen, "bad arguments");
        return -1;
    }
    if (!h->has_cnn) {
        fail(err, errlen, "CNN detector not loaded");
        return -1;
    }
    try {
        matrix<rgb_pixel> img;
        view(rgb, w, h_, img);
        return put_boxes(h->cnn(img), out, max);
    } catch (const std::exception &e) {
        fail(err, errlen, e.what());
    } catch (...) {
        fail(err, errlen, "unknown C++ exception");
    }
    return -1;
}

int bm_dlib_landmarks(bm_dlib *h, const uint8_t *rgb, int w, int h_, const double *box,
                      double *out, char *err, int errlen) {
    if (h == nullptr || rgb == nullptr || w <= 0 || h_ <= 0 || box == nullptr) {
        fail(err, errlen, "bad arguments");
        return -1;
    }
    try {
        matrix<rgb_pixel> img;
        view(rgb, w, h_, img);
        rectangle r(static_cast<long>(box[0]), static_cast<long>(box[1]),
                    static_cast<long>(box[2]) - 1, static_cast<long>(box[3]) - 1);
        full_object_detection shape = h->shapes(img, r);
        if (shape.num_parts() != 5) {
            fail(err, errlen, "shape predictor returned the wrong number of parts");
            return -1;
        }
        for (unsigned long i = 0; i < 5; i++) {
            out[2 * i] = shape.part(i).x();
            out[2 * i + 1] = shape.part(i).y();
        }
        return 0;
    } catch (const std::exception &e) {
        fail(err, errlen, e.what());
    } catch (...) {
        fail(err, errlen, "unknown C++ exception");
    }
    return -1;
}

int bm_dlib_embed(bm_dlib *h, const uint8_t *chips, int n, float *out, char *err, int errlen) {
    if (h == nullptr || chips == nullptr || n <= 0 || out == nullptr) {
        fail(err, errlen, "bad arguments");
        return -1;
    }
    if (!h->has_net) {
        fail(err, errlen, "embedding network not loaded");
        return -1;
    }
    try {
        const size_t chip = 150 * 150 * 3;
        std::vector<matrix<rgb_pixel>> batch(n);
        for (int i = 0; i < n; i++) view(chips + chip * size_t(i), 150, 150, batch[i]);
        std::vector<matrix<float, 0, 1>> desc = h->net(batch);
        if (int(desc.size()) != n) {
            fail(err, errlen, "network returned the wrong number of embeddings");
            return -1;
        }
        for (int i = 0; i < n; i++) {
            if (desc[i].size() != 128) {
                fail(err, errlen, "network returned an embedding that is not 128-D");
                return -1;
            }
            for (int j = 0; j < 128; j++) out[128 * i + j] = desc[i](j);
        }
        return 0;
    } catch (const std::exception &e) {
        fail(err, errlen, e.what());
    } catch (...) {
        fail(err, errlen, "unknown C++ exception");
    }
    return -1;
}

int bm_dlib_chip(bm_dlib *h, const uint8_t *rgb, int w, int h_, const double *landmarks,
                 uint8_t *out, char *err, int errlen) {
    if (h == nullptr || rgb == nullptr || w <= 0 || h_ <= 0 || landmarks == nullptr || out == nullptr) {
        fail(err, errlen, "bad arguments");
        return -1;
    }
    try {
        matrix<rgb_pixel> img;
        view(rgb, w, h_, img);
        std::vector<point> parts;
        for (int i = 0; i < 5; i++)
            parts.push_back(point(std::lround(landmarks[2 * i]), std::lround(landmarks[2 * i + 1])));
        full_object_detection shape(rectangle(0, 0, w - 1, h_ - 1), parts);
        matrix<rgb_pixel> chip;
        extract_image_chip(img, get_face_chip_details(shape, 150, 0.25), chip);
        if (chip.nr() != 150 || chip.nc() != 150) {
            fail(err, errlen, "chip is not 150x150");
            return -1;
        }
        std::memcpy(out, &chip(0, 0), 150 * 150 * 3);
        return 0;
    } catch (const std::exception &e) {
        fail(err, errlen, e.what());
    } catch (...) {
        fail(err, errlen, "unknown C++ exception");
    }
    return -1;
}

} // extern "C"
