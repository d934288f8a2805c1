"""A tiny H.264 (Baseline) encoder: one IDR picture of raw I_PCM macroblocks, then all-skip P pictures.

No transform or entropy coding is needed: I_PCM macroblocks carry their samples verbatim, and a P
picture made of a single `mb_skip_run` repeats the previous picture. That is enough for a short,
valid, playable clip of a still frame (the prompt card), at about 384 bytes per macroblock once.
"""

from __future__ import annotations

from dataclasses import dataclass

from .canvas import Canvas

__all__ = ["EncodedStream", "encode_still_clip"]

_MB = 16
_I_PCM = 25
_LOG2_MAX_FRAME_NUM = 4


class _Bits:
    """An MSB-first bit writer with Exp-Golomb codes."""

    def __init__(self) -> None:
        self._out = bytearray()
        self._acc = 0
        self._count = 0

    def u(self, bits: int, value: int) -> None:
        for shift in range(bits - 1, -1, -1):
            self._acc = (self._acc << 1) | ((value >> shift) & 1)
            self._count += 1
            if self._count == 8:
                self._out.append(self._acc)
                self._acc, self._count = 0, 0

    def ue(self, value: int) -> None:
        code = value + 1
        length = code.bit_length()
        self.u(length - 1, 0)
        self.u(length, code)

    def se(self, value: int) -> None:
        self.ue(2 * value - 1 if value > 0 else -2 * value)

    def align_zero(self) -> None:
        while self._count:
            self.u(1, 0)

    def raw(self, data: bytes) -> None:
        if self._count:
            raise ValueError("raw bytes need byte alignment")
        self._out += data

    def trailing(self) -> bytes:
        self.u(1, 1)
        self.align_zero()
        return bytes(self._out)


def _nal(ref_idc: int, unit_type: int, rbsp: bytes) -> bytes:
    """A NAL unit (without start code or length) with emulation-prevention bytes inserted."""
    out = bytearray([(ref_idc << 5) | unit_type])
    zeros = 0
    for byte in rbsp:
        if zeros >= 2 and byte <= 3:
            out.append(3)
            zeros = 0
        out.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(out)


def _sps(mbs_wide: int, mbs_high: int) -> bytes:
    bits = _Bits()
    bits.u(8, 66)  # profile_idc: Baseline
    bits.u(8, 0xC0)  # constraint_set0/1: conforms to Baseline and Main
    bits.u(8, 30)  # level 3.0
    bits.ue(0)  # seq_parameter_set_id
    bits.ue(_LOG2_MAX_FRAME_NUM - 4)
    bits.ue(2)  # pic_order_cnt_type 2: output order = decode order
    bits.ue(1)  # max_num_ref_frames
    bits.u(1, 0)  # gaps_in_frame_num_value_allowed_flag
    bits.ue(mbs_wide - 1)
    bits.ue(mbs_high - 1)
    bits.u(1, 1)  # frame_mbs_only_flag
    bits.u(1, 1)  # direct_8x8_inference_flag
    bits.u(1, 0)  # frame_cropping_flag
    bits.u(1, 0)  # vui_parameters_present_flag
    return _nal(3, 7, bits.trailing())


def _pps() -> bytes:
    bits = _Bits()
    bits.ue(0)  # pic_parameter_set_id
    bits.ue(0)  # seq_parameter_set_id
    bits.u(1, 0)  # entropy_coding_mode_flag: CAVLC
    bits.u(1, 0)  # bottom_field_pic_order_in_frame_present_flag
    bits.ue(0)  # num_slice_groups_minus1
    bits.ue(0)  # num_ref_idx_l0_default_active_minus1
    bits.ue(0)  # num_ref_idx_l1_default_active_minus1
    bits.u(1, 0)  # weighted_pred_flag
    bits.u(2, 0)  # weighted_bipred_idc
    bits.se(0)  # pic_init_qp_minus26
    bits.se(0)  # pic_init_qs_minus26
    bits.se(0)  # chroma_qp_index_offset
    bits.u(1, 1)  # deblocking_filter_control_present_flag
    bits.u(1, 0)  # constrained_intra_pred_flag
    bits.u(1, 0)  # redundant_pic_cnt_present_flag
    return _nal(3, 8, bits.trailing())


def _yuv_planes(canvas: Canvas) -> tuple[list[bytes], list[bytes], list[bytes]]:
    """BT.601 limited-range Y, Cb, Cr planes (chroma 2×2-averaged); samples kept within 1..254."""
    luma: list[bytes] = []
    for row in canvas.rows:
        luma.append(
            bytes(
                min(254, 16 + (66 * row[i] + 129 * row[i + 1] + 25 * row[i + 2] + 128) // 256)
                for i in range(0, len(row), 3)
            )
        )
    cb_rows: list[bytes] = []
    cr_rows: list[bytes] = []
    for y in range(0, canvas.height, 2):
        cb, cr = bytearray(), bytearray()
        for x in range(0, canvas.width, 2):
            quad = [canvas.pixel(x + dx, y + dy) for dx in (0, 1) for dy in (0, 1)]
            r, g, b = (sum(p[c] for p in quad) // 4 for c in range(3))
            cb.append(max(1, min(254, 128 + (-38 * r - 74 * g + 112 * b + 128) // 256)))
            cr.append(max(1, min(254, 128 + (112 * r - 94 * g - 18 * b + 128) // 256)))
        cb_rows.append(bytes(cb))
        cr_rows.append(bytes(cr))
    return [bytes(max(1, v) for v in row) for row in luma], cb_rows, cr_rows


def _idr_slice(canvas: Canvas) -> bytes:
    luma, cb, cr = _yuv_planes(canvas)
    bits = _Bits()
    bits.ue(0)  # first_mb_in_slice
    bits.ue(7)  # slice_type: I (all slices)
    bits.ue(0)  # pic_parameter_set_id
    bits.u(_LOG2_MAX_FRAME_NUM, 0)  # frame_num
    bits.ue(0)  # idr_pic_id
    bits.u(1, 0)  # no_output_of_prior_pics_flag
    bits.u(1, 0)  # long_term_reference_flag
    bits.se(0)  # slice_qp_delta
    bits.ue(1)  # disable_deblocking_filter_idc
    for mb_y in range(canvas.height // _MB):
        for mb_x in range(canvas.width // _MB):
            bits.ue(_I_PCM)
            bits.align_zero()
            x, y = mb_x * _MB, mb_y * _MB
            for row in luma[y : y + _MB]:
                bits.raw(row[x : x + _MB])
            for plane in (cb, cr):
                for row in plane[y // 2 : y // 2 + _MB // 2]:
                    bits.raw(row[x // 2 : x // 2 + _MB // 2])
    return _nal(3, 5, bits.trailing())


def _skip_slice(frame_num: int, macroblocks: int) -> bytes:
    bits = _Bits()
    bits.ue(0)  # first_mb_in_slice
    bits.ue(5)  # slice_type: P (all slices)
    bits.ue(0)  # pic_parameter_set_id
    bits.u(_LOG2_MAX_FRAME_NUM, frame_num % (1 << _LOG2_MAX_FRAME_NUM))
    bits.u(1, 0)  # num_ref_idx_active_override_flag
    bits.u(1, 0)  # ref_pic_list_modification_flag_l0
    bits.u(1, 0)  # adaptive_ref_pic_marking_mode_flag
    bits.se(0)  # slice_qp_delta
    bits.ue(1)  # disable_deblocking_filter_idc
    bits.ue(macroblocks)  # mb_skip_run: the whole picture repeats the reference
    return _nal(2, 1, bits.trailing())


@dataclass(frozen=True)
class EncodedStream:
    """Parameter sets and one NAL unit per picture (the first is the IDR picture)."""

    sps: bytes
    pps: bytes
    pictures: tuple[bytes, ...]


def encode_still_clip(canvas: Canvas, frames: int) -> EncodedStream:
    """Encode `frames` pictures showing the canvas; its sides must be multiples of 16."""
    if canvas.width % _MB or canvas.height % _MB:
        raise ValueError("H.264 canvas sides must be multiples of 16")
    if frames < 1:
        raise ValueError("a clip needs at least one frame")
    mbs_wide, mbs_high = canvas.width // _MB, canvas.height // _MB
    pictures = [_idr_slice(canvas)]
    pictures += [_skip_slice(n, mbs_wide * mbs_high) for n in range(1, frames)]
    return EncodedStream(_sps(mbs_wide, mbs_high), _pps(), tuple(pictures))
