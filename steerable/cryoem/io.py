"""MRC volumes and particle stacks (``.mrc``/``.mrcs``) and RELION STAR files of poses and CTF parameters.

MRC2014 is read and written natively for the modes simulations and most pipelines produce (0: int8, 1: int16,
2: float32, 12: float16, 6: uint16); other modes (complex, packed 4-bit) are read through ``mrcfile`` when it is
installed (``pip install steerable[cryoem]``). STAR files are read and written natively (data blocks with
``loop_`` tables or key-value pairs).

A particle stack directory holds ``particles.mrcs`` and ``particles.star`` (RELION 3.1 layout: a
``data_optics`` table and a ``data_particles`` table). Poses are RELION Euler angles (``rlnAngleRot``,
``rlnAngleTilt``, ``rlnAnglePsi``; :mod:`steerable.cryoem.geometry`), shifts ``rlnOriginXAngst``/``YAngst``
(image = ``T_t P_R[V]`` with ``t = origin / pixel_size``), defoci ``rlnDefocusU``/``V`` and
``rlnDefocusAngle``.

Example:
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "v.mrc"
    >>> write_mrc(p, torch.arange(8.0).reshape(2, 2, 2), pixel_size=1.5)
    >>> V, px = read_mrc(p)
    >>> V.shape, px
    (torch.Size([2, 2, 2]), 1.5)
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .geometry import euler_to_matrix, matrix_to_euler

__all__ = ["read_mrc", "write_mrc", "read_star", "write_star", "ParticleStack", "read_stack", "write_stack"]

_MODES = {0: np.int8, 1: np.int16, 2: np.float32, 6: np.uint16, 12: np.float16}


def read_mrc(path: str | os.PathLike[str]) -> tuple[torch.Tensor, float]:
    """The data ``(nz, ny, nx)`` (float32) and pixel size (Å, from the cell; 1.0 if unset) of an MRC file."""
    p = Path(path)
    if not p.is_file():
        raise ValueError(f"no such MRC file: {p}")
    raw = p.read_bytes()
    if len(raw) < 1024:
        raise ValueError(f"{p}: {len(raw)} bytes is shorter than the 1024-byte MRC header")
    endian = "<" if raw[212] in (0x44, 0x00) else ">"  # MACHST: 0x44 little-endian, 0x11 big-endian
    nx, ny, nz, mode = np.frombuffer(raw, dtype=endian + "i4", count=4)
    nsymbt = int(np.frombuffer(raw, dtype=endian + "i4", count=1, offset=92)[0])
    cella = np.frombuffer(raw, dtype=endian + "f4", count=3, offset=40)
    if min(nx, ny, nz) < 1:
        raise ValueError(f"{p}: header field 'nx, ny, nz' = {nx}, {ny}, {nz} is not a valid size")
    if int(mode) not in _MODES:
        try:
            import mrcfile
        except ImportError:
            raise ImportError(f"{p}: MRC mode {int(mode)} needs mrcfile: pip install steerable[cryoem]") from None
        with mrcfile.open(p, permissive=True) as m:
            data = np.asarray(m.data, dtype=np.float32)
        return torch.from_numpy(data.copy()).reshape(int(nz), int(ny), int(nx)), float(cella[0] / nx) or 1.0
    dt = np.dtype(_MODES[int(mode)]).newbyteorder(endian)
    count = int(nx) * int(ny) * int(nz)
    if len(raw) < 1024 + nsymbt + count * dt.itemsize:
        raise ValueError(f"{p}: the header says {nz} x {ny} x {nx} values of mode {int(mode)} but the file holds "
                         f"{len(raw) - 1024 - nsymbt} data bytes")
    data = np.frombuffer(raw, dtype=dt, count=count, offset=1024 + nsymbt).astype(np.float32)
    px = float(cella[0]) / int(nx) if cella[0] > 0 else 1.0
    return torch.from_numpy(data.reshape(int(nz), int(ny), int(nx)).copy()), px


def write_mrc(path: str | os.PathLike[str], data: torch.Tensor, pixel_size: float = 1.0, stack: bool = False) -> None:
    """Write ``data`` ``(nz, ny, nx)`` as MRC2014 mode 2 (float32); ``stack=True`` marks an image stack
    (``ispg = 0``, ``.mrcs``), else a volume (``ispg = 1``)."""
    a = np.ascontiguousarray(torch.as_tensor(data).detach().cpu().numpy(), dtype="<f4")
    if a.ndim != 3:
        raise ValueError(f"MRC data must be (nz, ny, nx), got shape {a.shape}")
    if not pixel_size > 0:
        raise ValueError(f"pixel_size must be > 0 Å, got {pixel_size!r}")
    nz, ny, nx = a.shape
    h = np.zeros(256, dtype="<i4")
    h[0:4] = (nx, ny, nz, 2)
    h[7:10] = (nx, ny, nz)  # mx, my, mz: one cell = the whole box
    hf = h.view("<f4")
    hf[10:13] = (nx * pixel_size, ny * pixel_size, nz * pixel_size)
    hf[13:16] = 90.0
    h[16:19] = (1, 2, 3)
    hf[19:22] = (a.min(), a.max(), a.mean()) if a.size else 0.0
    h[22] = 0 if stack else 1
    hb = bytearray(h.tobytes())
    hb[208:212] = b"MAP "
    hb[212:216] = bytes([0x44, 0x44, 0, 0])
    hb[216:220] = np.float32(a.std() if a.size else 0.0).tobytes()
    hb[104:108] = b"MRCO"  # EXTTYP unused; NVERSION below
    hb[108:112] = np.int32(20140).tobytes()
    Path(path).write_bytes(bytes(hb) + a.tobytes())


def write_star(path: str | os.PathLike[str], blocks: dict[str, dict[str, list]]) -> None:
    """Write STAR data blocks: ``{"particles": {"rlnAngleRot": [...], ...}}`` as ``data_particles`` with a
    ``loop_`` of the columns (all of one length)."""
    lines = ["", "# version 30001", ""]
    for name, cols in blocks.items():
        n = {len(v) for v in cols.values()}
        if len(n) > 1:
            raise ValueError(f"STAR block {name!r}: columns of different lengths {sorted(n)}")
        lines += [f"data_{name}", "", "loop_"] + [f"_{k} #{i + 1}" for i, k in enumerate(cols)]
        for row in zip(*cols.values()):
            lines.append(" ".join(f"{v:.6f}" if isinstance(v, float) else str(v) for v in row))
        lines.append("")
    Path(path).write_text("\n".join(lines) + "\n")


def read_star(path: str | os.PathLike[str]) -> dict[str, dict[str, list[str]]]:
    """STAR data blocks as ``{block: {column: [values as strings]}}`` (``loop_`` tables and key-value pairs)."""
    p = Path(path)
    if not p.is_file():
        raise ValueError(f"no such STAR file: {p}")
    blocks: dict[str, dict[str, list[str]]] = {}
    cur: dict[str, list[str]] | None = None
    names: list[str] = []
    in_loop = False
    for lineno, raw in enumerate(p.read_text().splitlines(), 1):
        line = raw.split("#", 1)[0].strip() if not raw.lstrip().startswith("_") else raw.strip()
        if not line:
            continue
        if line.startswith("data_"):
            cur, names, in_loop = {}, [], False
            blocks[line[5:]] = cur
        elif cur is None:
            raise ValueError(f"{p}, line {lineno}: content before the first data_ block")
        elif line == "loop_":
            names, in_loop = [], True
        elif line.startswith("_"):
            parts = line.split()
            key = parts[0][1:]
            if in_loop and (len(parts) == 1 or parts[1].startswith("#")):
                names.append(key)
                cur[key] = []
            else:
                cur[key] = [parts[1] if len(parts) > 1 else ""]
                in_loop = False
        elif in_loop:
            vals = line.split()
            if len(vals) != len(names):
                raise ValueError(f"{p}, line {lineno}: {len(vals)} values for the {len(names)} columns of the table")
            for k, v in zip(names, vals):
                cur[k].append(v)
    return blocks


@dataclass
class ParticleStack:
    """Particle images with their poses and CTF parameters.

    Attributes:
        images: ``(B, N, N)``. pixel_size: Å. rotations: ``(B, 3, 3)`` poses ``R`` (or None, unknown).
        shifts: ``(B, 2)`` pixels (or None). defocus_u, defocus_v, defocus_angle: ``(B,)`` Å, Å, degrees
        (or None: no CTF). voltage (kV), cs (mm), amplitude_contrast.
    """

    images: torch.Tensor
    pixel_size: float
    rotations: torch.Tensor | None = None
    shifts: torch.Tensor | None = None
    defocus_u: torch.Tensor | None = None
    defocus_v: torch.Tensor | None = None
    defocus_angle: torch.Tensor | None = None
    voltage: float = 300.0
    cs: float = 2.7
    amplitude_contrast: float = 0.1

    def __post_init__(self) -> None:
        if self.images.ndim != 3 or self.images.shape[1] != self.images.shape[2]:
            raise ValueError(f"images must be (B, N, N), got {tuple(self.images.shape)}")
        B = self.images.shape[0]
        for name, shape in (("rotations", (B, 3, 3)), ("shifts", (B, 2)), ("defocus_u", (B,)), ("defocus_v", (B,)),
                            ("defocus_angle", (B,))):
            v = getattr(self, name)
            if v is not None and tuple(v.shape) != shape:
                raise ValueError(f"{name} must be {shape} for {B} images, got {tuple(v.shape)}")

    def __len__(self) -> int:
        return self.images.shape[0]

    @property
    def size(self) -> int:
        return self.images.shape[-1]

    def ctf(self, index: torch.Tensor | slice = slice(None)) -> torch.Tensor | None:
        """Centred CTFs ``(b, N, N)`` of the particles ``index`` (None without defoci)."""
        from .projection import ctf_2d

        if self.defocus_u is None:
            return None
        dv = self.defocus_v[index] if self.defocus_v is not None else None
        ang = self.defocus_angle[index] if self.defocus_angle is not None else 0.0
        return ctf_2d(self.size, self.pixel_size, self.defocus_u[index], dv, ang, self.voltage, self.cs,
                      self.amplitude_contrast)


def write_stack(directory: str | os.PathLike[str], stack: ParticleStack) -> Path:
    """Write ``particles.mrcs`` and ``particles.star`` into ``directory``; returns the STAR path."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    write_mrc(d / "particles.mrcs", stack.images, stack.pixel_size, stack=True)
    B = len(stack)
    cols: dict[str, list] = {"rlnImageName": [f"{i + 1:06d}@particles.mrcs" for i in range(B)]}
    if stack.rotations is not None:
        e = matrix_to_euler(stack.rotations.double())
        cols.update(rlnAngleRot=e[:, 0].tolist(), rlnAngleTilt=e[:, 1].tolist(), rlnAnglePsi=e[:, 2].tolist())
    if stack.shifts is not None:
        t = stack.shifts.double() * stack.pixel_size
        cols.update(rlnOriginXAngst=t[:, 0].tolist(), rlnOriginYAngst=t[:, 1].tolist())
    if stack.defocus_u is not None:
        dv = stack.defocus_v if stack.defocus_v is not None else stack.defocus_u
        da = stack.defocus_angle if stack.defocus_angle is not None else torch.zeros(B)
        cols.update(rlnDefocusU=stack.defocus_u.double().tolist(), rlnDefocusV=dv.double().tolist(),
                    rlnDefocusAngle=da.double().tolist())
    cols["rlnOpticsGroup"] = [1] * B
    optics = {"rlnOpticsGroup": [1], "rlnOpticsGroupName": ["opticsGroup1"], "rlnVoltage": [float(stack.voltage)],
              "rlnSphericalAberration": [float(stack.cs)], "rlnAmplitudeContrast": [float(stack.amplitude_contrast)],
              "rlnImagePixelSize": [float(stack.pixel_size)], "rlnImageSize": [stack.size], "rlnImageDimensionality": [2]}
    star = d / "particles.star"
    write_star(star, {"optics": optics, "particles": cols})
    return star


def _floats(path: Path, table: dict[str, list[str]], key: str) -> torch.Tensor:
    try:
        return torch.tensor([float(v) for v in table[key]], dtype=torch.float64)
    except ValueError as exc:
        raise ValueError(f"{path}: field {key!r} is not numeric ({exc})") from None


def read_stack(path: str | os.PathLike[str]) -> ParticleStack:
    """Read a stack: a directory with ``particles.star`` or a STAR file whose ``rlnImageName`` rows
    (``index@file.mrcs``, files relative to the STAR file) name the images.

    Raises:
        ValueError: a missing file or field, rows that do not match the stack length, non-numeric fields.
    """
    p = Path(path)
    star = p / "particles.star" if p.is_dir() else p
    blocks = read_star(star)
    parts = blocks.get("particles") or blocks.get("") or next((b for b in blocks.values() if "rlnImageName" in b), None)
    if parts is None or "rlnImageName" not in parts:
        raise ValueError(f"{star}: no table with the field 'rlnImageName'")
    optics = blocks.get("optics", {})

    def opt(key: str, default: float | None) -> float | None:
        src = parts if key in parts else optics
        if key not in src:
            return default
        return float(src[key][0])

    cache: dict[str, torch.Tensor] = {}
    imgs, px_file = [], None
    for row, name in enumerate(parts["rlnImageName"]):
        idx, _, fname = name.partition("@")
        if not fname or not idx.isdigit():
            raise ValueError(f"{star}: row {row + 1}, field 'rlnImageName' = {name!r} is not INDEX@FILE")
        if fname not in cache:
            cache[fname], px_file = read_mrc(star.parent / fname)
        data = cache[fname]
        if not 1 <= int(idx) <= data.shape[0]:
            raise ValueError(f"{star}: row {row + 1}, field 'rlnImageName' = {name!r} but {fname} holds "
                             f"{data.shape[0]} images")
        imgs.append(data[int(idx) - 1])
    images = torch.stack(imgs)
    if len(cache) == 1:
        (fname, data), = cache.items()
        if data.shape[0] != len(imgs):
            raise ValueError(f"{star}: {len(imgs)} rows (field 'rlnImageName') but the stack {fname} holds "
                             f"{data.shape[0]} images")
    px = opt("rlnImagePixelSize", None) or px_file or 1.0
    R = None
    if "rlnAngleRot" in parts:
        ang = torch.stack([_floats(star, parts, k) for k in ("rlnAngleRot", "rlnAngleTilt", "rlnAnglePsi")], 1)
        R = euler_to_matrix(ang).float()
    t = None
    if "rlnOriginXAngst" in parts:
        t = (torch.stack([_floats(star, parts, "rlnOriginXAngst"), _floats(star, parts, "rlnOriginYAngst")], 1) / px).float()
    du = _floats(star, parts, "rlnDefocusU").float() if "rlnDefocusU" in parts else None
    dv = _floats(star, parts, "rlnDefocusV").float() if "rlnDefocusV" in parts else None
    da = _floats(star, parts, "rlnDefocusAngle").float() if "rlnDefocusAngle" in parts else None
    return ParticleStack(images, float(px), R, t, du, dv, da, opt("rlnVoltage", 300.0) or 300.0,
                         opt("rlnSphericalAberration", 2.7) or 2.7, opt("rlnAmplitudeContrast", 0.1) or 0.0)
