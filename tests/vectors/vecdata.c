/*
 * vecdata.c - MANIFEST.md (shared/vectors, set A) as data.
 *
 * Every number here is copied from MANIFEST.md; the `accepts` column is
 * derived from each entry's bytes and the exact size formulas of
 * FORMAT.md and the zeroipc_X_validate contracts:
 *   array  u64 capacity != 0 and (size - 8) = capacity * k, k >= 1
 *   queue  u32 capacity at 8 a power of two, u32 elem_size at 12 != 0,
 *          size = 16 + align8(capacity * elem_size) + 4 * capacity
 *   stack  u32 capacity at 4 in 1..INT32_MAX, u32 elem_size at 8 != 0,
 *          same size formula
 * Some foreign structures pass by coincidence (a Set of int32 has the
 * exact shape of a stack; several semaphores look like 1-element arrays
 * of 8 bytes); that is the nature of a format without kinds, and the
 * filesystem's inference must live with it.
 */
#include "vectors.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- cpp_all.seg ------------------------------------------------------ */

/* arr_f32: capacity 6; set [0]=1.5 [1]=-2.25 [2]=3.0 [4]=1024.5 [5]=-0.125 */
static const float arr_f32_v[] = {1.5f, -2.25f, 3.0f, 0.0f, 1024.5f, -0.125f};
static const struct zv_op arr_f32_ops[] = {
    {ZV_SET, 0, &arr_f32_v[0]}, {ZV_SET, 1, &arr_f32_v[1]},
    {ZV_SET, 2, &arr_f32_v[2]}, {ZV_SET, 4, &arr_f32_v[4]},
    {ZV_SET, 5, &arr_f32_v[5]},
};
static const struct zv_struct arr_f32 = {
    ZV_ARRAY, 4, 6, 6, arr_f32_ops, N(arr_f32_ops), arr_f32_v, N(arr_f32_v)};

/* q_i32: requested capacity 5 (stored 8); push 11 22 33 44; pop -> 11 */
static const int32_t q_i32_in[] = {11, 22, 33, 44};
static const struct zv_op q_i32_ops[] = {
    {ZV_PUSH, 0, &q_i32_in[0]}, {ZV_PUSH, 0, &q_i32_in[1]},
    {ZV_PUSH, 0, &q_i32_in[2]}, {ZV_PUSH, 0, &q_i32_in[3]},
    {ZV_POP, 0, &q_i32_in[0]},
};
static const int32_t q_i32_c[] = {22, 33, 44};
static const struct zv_struct q_i32 = {
    ZV_QUEUE, 4, 5, 8, q_i32_ops, N(q_i32_ops), q_i32_c, N(q_i32_c)};

/* stk_i32: capacity 6; push 5 6 7 8; pop -> 8 */
static const int32_t stk_i32_in[] = {5, 6, 7, 8};
static const struct zv_op stk_i32_ops[] = {
    {ZV_PUSH, 0, &stk_i32_in[0]}, {ZV_PUSH, 0, &stk_i32_in[1]},
    {ZV_PUSH, 0, &stk_i32_in[2]}, {ZV_PUSH, 0, &stk_i32_in[3]},
    {ZV_POP, 0, &stk_i32_in[3]},
};
static const int32_t stk_i32_c[] = {7, 6, 5};
static const struct zv_struct stk_i32 = {
    ZV_STACK, 4, 6, 6, stk_i32_ops, N(stk_i32_ops), stk_i32_c, N(stk_i32_c)};

/* chb_buffer: the Queue of Channel 'chb', capacity 4; send 7 8 9 */
static const int32_t chb_in[] = {7, 8, 9};
static const struct zv_op chb_ops[] = {
    {ZV_PUSH, 0, &chb_in[0]}, {ZV_PUSH, 0, &chb_in[1]},
    {ZV_PUSH, 0, &chb_in[2]},
};
static const struct zv_struct chb_buffer = {
    ZV_QUEUE, 4, 4, 4, chb_ops, N(chb_ops), chb_in, N(chb_in)};

#define AQ ZV_ACC_QUEUE
#define AS ZV_ACC_STACK
#define AA ZV_ACC_ARRAY

static const struct zv_entry cpp_entries[] = {
    {"arr_f32", 3104, 32, "Array f32", &arr_f32, 0, AA, 4},
    {"q_i32", 3136, 80, "Queue i32", &q_i32, 0, AQ, 0},
    {"stk_i32", 3216, 64, "Stack i32", &stk_i32, 0, AS, 0},
    /* write_pos 20 read as a capacity: 80 = 20 * 4 */
    {"ring_i32", 3280, 88, "Ring i32", NULL, 4, AA, 4},
    {"map_i32_f64", 3368, 272, "Map i32->f64", NULL, 4, 0, 0},
    /* {size 3, capacity 8, elem 4}: 16 + 32 + 32 = 80, a stack's shape */
    {"set_i32", 3640, 80, "Set i32", NULL, 4, AS, 0},
    {"pool_f64", 3720, 88, "Pool f64", NULL, 4, 0, 0},
    {"sem", 3808, 16, "Semaphore", NULL, 5, 0, 0},
    {"mtx", 3824, 16, "Mutex", NULL, 5, 0, 0},
    {"bar", 3840, 16, "Barrier", NULL, 5, 0, 0},
    {"lat", 3856, 16, "Latch", NULL, 5, 0, 0},
    {"once", 3872, 4, "Once", NULL, 5, 0, 0},
    {"ev", 3880, 12, "Event state", NULL, 5, 0, 0},
    {"ev_sem", 3896, 16, "Semaphore (event)", NULL, 5, 0, 0},
    {"rw_state", 3912, 8, "RWLock state", NULL, 5, 0, 0},
    /* count 1, waiting 0 read as capacity 1: one 8-byte element */
    {"rw_rmtx", 3920, 16, "Mutex (rwlock)", NULL, 5, AA, 8},
    {"rw_wmtx", 3936, 16, "Mutex (rwlock)", NULL, 5, AA, 8},
    {"rw", 3952, 1, "RWLock marker", NULL, 5, 0, 0},
    {"mon_mtx", 3960, 16, "Mutex (monitor)", NULL, 5, 0, 0},
    {"mon_cond", 3976, 16, "Semaphore (monitor)", NULL, 5, 0, 0},
    {"mon_count", 3992, 4, "Monitor counter", NULL, 5, 0, 0},
    {"mon", 4000, 1, "Monitor marker", NULL, 5, 0, 0},
    /* Signal is not named in the issue plan; its parts are a mutex and a
     * versioned value, so it is counted with the primitives of issue 5.
     * version 2 read as a capacity: 8 = 2 * 4 */
    {"sig_state", 4008, 16, "Signal state i32", NULL, 5, AA, 4},
    {"sig_mtx", 4024, 16, "Mutex (signal)", NULL, 5, AA, 8},
    {"sig", 4040, 1, "Signal marker", NULL, 5, 0, 0},
    /* state 2 (READY) read as a capacity: 272 = 2 * 136 */
    {"fut_ok", 4048, 280, "Future f64", NULL, 6, AA, 136},
    {"fut_err", 4328, 280, "Future f64", NULL, 6, 0, 0},
    {"fut_pend", 4608, 280, "Future f64", NULL, 6, 0, 0},
    /* state 2, op 0: capacity 2 */
    {"lz_a", 4888, 280, "Lazy i32", NULL, 6, AA, 136},
    {"lz_b", 5168, 280, "Lazy i32", NULL, 6, AA, 136},
    {"lz_sum", 5448, 280, "Lazy i32", NULL, 6, 0, 0},
    {"lz_prod", 5728, 280, "Lazy i32", NULL, 6, 0, 0},
    {"strm_header", 6008, 56, "Stream header", NULL, 6, 0, 0},
    {"strm_buffer", 6064, 56, "Ring i32 (stream)", NULL, 6, 0, 0},
    /* capacity 4, senders 0 read as a u64 capacity 4: 24 = 4 * 6 */
    {"chb_header", 6120, 32, "Channel header", NULL, 6, AA, 6},
    /* A plain Queue, read as one (st); rebuilt by creating channel 'chb'
     * and sending three times, which makes header and buffer together. */
    {"chb_buffer", 6152, 48, "Queue i32 (channel)", &chb_buffer, 6, AQ, 0},
    {"chu_header", 6200, 32, "Channel header", NULL, 6, 0, 0},
    {"chu_slot", 6232, 8, "Channel slot", NULL, 6, 0, 0},
};

static const struct zv_range cpp_masks[] = {
    {4056, 4064, "fut_ok.completion_time"},
    {4336, 4344, "fut_err.completion_time"},
};

const struct zv_image zv_cpp_all = {
    "cpp_all.seg", "vcpp", 38, 6240, cpp_entries, cpp_masks, N(cpp_masks)};

/* ---- py_core.seg ------------------------------------------------------ */

/* p_arr_f64: capacity 4; assign [6.5, -0.25, 1024.0, 0.0] */
static const double p_arr_f64_v[] = {6.5, -0.25, 1024.0, 0.0};
static const struct zv_op p_arr_f64_ops[] = {
    {ZV_SET, 0, &p_arr_f64_v[0]}, {ZV_SET, 1, &p_arr_f64_v[1]},
    {ZV_SET, 2, &p_arr_f64_v[2]}, {ZV_SET, 3, &p_arr_f64_v[3]},
};
static const struct zv_struct p_arr_f64 = {
    ZV_ARRAY, 8, 4, 4, p_arr_f64_ops, N(p_arr_f64_ops), p_arr_f64_v,
    N(p_arr_f64_v)};

/* p_points: records {f32 x @0, f32 y @4, u64 t @8}, 16 bytes, capacity 3;
 * [0] = (1.0, 2.0, 1000); [1] = (-3.5, 4.25, 2000); [2] never written */
struct zv_point {
    float x, y;
    uint64_t t;
};
_Static_assert(sizeof(struct zv_point) == 16, "the record is 16 bytes");
static const struct zv_point p_points_v[] = {
    {1.0f, 2.0f, 1000}, {-3.5f, 4.25f, 2000}, {0.0f, 0.0f, 0}};
static const struct zv_op p_points_ops[] = {
    {ZV_SET, 0, &p_points_v[0]}, {ZV_SET, 1, &p_points_v[1]},
};
static const struct zv_struct p_points = {
    ZV_ARRAY, 16, 3, 3, p_points_ops, N(p_points_ops), p_points_v,
    N(p_points_v)};

/* p_bytes: u8, capacity 5 (entry size 13); assign [1, 2, 3, 250, 255] */
static const uint8_t p_bytes_v[] = {1, 2, 3, 250, 255};
static const struct zv_op p_bytes_ops[] = {
    {ZV_SET, 0, &p_bytes_v[0]}, {ZV_SET, 1, &p_bytes_v[1]},
    {ZV_SET, 2, &p_bytes_v[2]}, {ZV_SET, 3, &p_bytes_v[3]},
    {ZV_SET, 4, &p_bytes_v[4]},
};
static const struct zv_struct p_bytes = {
    ZV_ARRAY, 1, 5, 5, p_bytes_ops, N(p_bytes_ops), p_bytes_v, N(p_bytes_v)};

/* p_q_i64: requested capacity 3 (stored 4); push 5 6 7; pop -> 5 */
static const int64_t p_q_in[] = {5, 6, 7};
static const struct zv_op p_q_ops[] = {
    {ZV_PUSH, 0, &p_q_in[0]}, {ZV_PUSH, 0, &p_q_in[1]},
    {ZV_PUSH, 0, &p_q_in[2]}, {ZV_POP, 0, &p_q_in[0]},
};
static const int64_t p_q_c[] = {6, 7};
static const struct zv_struct p_q_i64 = {
    ZV_QUEUE, 8, 3, 4, p_q_ops, N(p_q_ops), p_q_c, N(p_q_c)};

/* p_stk_f32: capacity 4; push 1.5 2.5 3.5; pop -> 3.5 */
static const float p_stk_in[] = {1.5f, 2.5f, 3.5f};
static const struct zv_op p_stk_ops[] = {
    {ZV_PUSH, 0, &p_stk_in[0]}, {ZV_PUSH, 0, &p_stk_in[1]},
    {ZV_PUSH, 0, &p_stk_in[2]}, {ZV_POP, 0, &p_stk_in[2]},
};
static const float p_stk_c[] = {2.5f, 1.5f};
static const struct zv_struct p_stk_f32 = {
    ZV_STACK, 4, 4, 4, p_stk_ops, N(p_stk_ops), p_stk_c, N(p_stk_c)};

static const struct zv_entry py_entries[] = {
    {"p_arr_f64", 3104, 40, "Array f64", &p_arr_f64, 0, AA, 8},
    {"p_points", 3144, 56, "Array of 16-byte records", &p_points, 0, AA, 16},
    {"p_bytes", 3200, 13, "Array u8", &p_bytes, 0, AA, 1},
    {"p_q_i64", 3216, 64, "Queue i64", &p_q_i64, 0, AQ, 0},
    {"p_stk_f32", 3280, 48, "Stack f32", &p_stk_f32, 0, AS, 0},
    /* write_pos 6: 36 = 6 * 6 */
    {"p_ring_i16", 3328, 44, "Ring i16", NULL, 4, AA, 6},
    /* count 2, waiting 0: 8 = 2 * 4 */
    {"p_sem", 3376, 16, "Semaphore", NULL, 5, AA, 4},
    {"p_mtx", 3392, 16, "Mutex", NULL, 5, 0, 0},
    {"p_bar", 3408, 16, "Barrier", NULL, 5, 0, 0},
    {"p_lat", 3424, 16, "Latch", NULL, 5, 0, 0},
    {"p_once", 3440, 4, "Once", NULL, 5, 0, 0},
    /* signaled 1, mode 0: 4 = 1 * 4 */
    {"p_ev", 3448, 12, "Event state", NULL, 5, AA, 4},
    {"p_ev_sem", 3464, 16, "Semaphore (event)", NULL, 5, AA, 8},
    {"p_rw_state", 3480, 8, "RWLock state", NULL, 5, 0, 0},
    {"p_rw_rmtx", 3488, 16, "Mutex (rwlock)", NULL, 5, AA, 8},
    {"p_rw_wmtx", 3504, 16, "Mutex (rwlock)", NULL, 5, AA, 8},
    {"p_rw", 3520, 1, "RWLock marker", NULL, 5, 0, 0},
    {"p_mon_mtx", 3528, 16, "Mutex (monitor)", NULL, 5, AA, 8},
    {"p_mon_cond", 3544, 16, "Semaphore (monitor)", NULL, 5, 0, 0},
    {"p_mon_count", 3560, 4, "Monitor counter", NULL, 5, 0, 0},
    {"p_mon", 3568, 1, "Monitor marker", NULL, 5, 0, 0},
    {"p_fut_ok", 3576, 280, "Future f64", NULL, 6, AA, 136},
    {"p_fut_err", 3856, 280, "Future f64", NULL, 6, 0, 0},
    {"p_fut_pend", 4136, 280, "Future f64", NULL, 6, 0, 0},
};

static const struct zv_range py_masks[] = {
    {3584, 3592, "p_fut_ok.completion_time"},
    {3864, 3872, "p_fut_err.completion_time"},
};

const struct zv_image zv_py_core = {
    "py_core.seg", "vpy", 24, 4416, py_entries, py_masks, N(py_masks)};
