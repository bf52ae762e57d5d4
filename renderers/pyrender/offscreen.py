"""pyrender's offscreen renderer with one extra mode: a union pass for amodal masks.

In a union pass every drawn fragment is OR-ed into the colour buffer (``glLogicOp(GL_OR)``) with the
depth test off, so each object drawing its own bit (see ``geometry.bit_color``) leaves, in every
pixel, the set of objects whose surfaces cover that pixel centre, occluded or not. Rasterization is
the same as a segmentation pass (multisampling off, back faces culled), so each bit equals the mask
of a render of that object alone.
"""

from __future__ import annotations

import numpy as np

from renderers.pyrender._gl import EGL, GL, egl, pyrender

# pyrender.shader_program is loaded by pyrender's own import (after _gl chose the GL platform)
ShaderProgram = pyrender.shader_program.ShaderProgram
ShaderProgramCache = pyrender.shader_program.ShaderProgramCache


class _UniformCachingProgram(ShaderProgram):
    """pyrender's ShaderProgram with its uniform locations looked up once per linked program.

    pyrender sets about a dozen uniforms per drawn primitive, and its ``set_uniform`` asks GL for each
    location every time (``glGetUniformLocation``: a third of a street frame's uniform cost on llvmpipe).
    A location is fixed for the life of a linked program, so it is cached per program id; the values and
    the GL calls that set them are pyrender's own, so every pass draws the same bytes.

    A uniform keeps its value in its program until set again, so a call repeating the value the location
    already holds (the same light, camera and material for primitive after primitive) is skipped: the
    program state is what pyrender's call would have left. The cache is dropped with the linked program."""

    def _remove_from_context(self) -> None:
        self.__dict__.pop("_uniform_cache", None)
        super()._remove_from_context()

    def set_uniform(self, name: str, value: object, unsigned: bool = False) -> None:
        # (program id, name -> location, location -> what it holds), for the linked program
        cache = self.__dict__.get("_uniform_cache")
        if cache is None or cache[0] != self._program_id:
            cache = self._uniform_cache = (self._program_id, {}, {})
        program_id, locations, held = cache
        loc = locations.get(name)
        if loc is None:
            loc = locations[name] = int(GL.glGetUniformLocation(program_id, name))
        if loc == -1:
            return  # pyrender raises ValueError here and swallows it: nothing is set
        # what GL will hold: the call's kind and the exact bytes pyrender's dispatch passes
        if isinstance(value, np.ndarray):
            if value.ndim == 1:
                # dtype kinds: np.issubdtype(dtype, np.unsignedinteger) is kind "u", np.integer "i" or "u"
                # (pyrender's tests, at a tenth of the cost)
                kind = value.dtype.kind
                if kind == "u" or unsigned:
                    dtype, value = "u", value.astype(np.uint32)
                elif kind == "i":
                    dtype, value = "i", value.astype(np.int32)
                else:
                    dtype, value = "f", value.astype(np.float32)
                key = (dtype, value.shape, value.tobytes())
            else:
                key = ("m", value.dtype.str, value.shape, value.tobytes())
        elif isinstance(value, (float, int)):
            key = (type(value), bool(unsigned), value)
        else:
            return  # pyrender sets nothing for any other type
        if held.get(loc) == key:
            return
        try:  # pyrender 0.1.45's dispatch, unchanged (it swallows every error too)
            if isinstance(value, np.ndarray):
                if value.ndim == 1:
                    self._FUNC_MAP[(value.shape[0], dtype)](loc, 1, value)
                else:
                    self._FUNC_MAP[(value.shape[0], value.shape[1])](loc, 1, GL.GL_TRUE, value)
            elif isinstance(value, float):
                GL.glUniform1f(loc, value)
            elif isinstance(value, int):
                if unsigned:
                    GL.glUniform1ui(loc, value)
                else:
                    GL.glUniform1i(loc, value)
        except Exception:  # noqa: BLE001 (pyrender's behaviour: a uniform it cannot set is skipped)
            held.pop(loc, None)  # unknown what GL holds now
            return
        held[loc] = key


class _UniformCachingProgramCache(ShaderProgramCache):
    """pyrender's program cache handing out ``_UniformCachingProgram``s."""

    def get_program(self, *args: object, **kwargs: object) -> ShaderProgram:
        program = super().get_program(*args, **kwargs)
        if type(program) is ShaderProgram:
            # the class swap adds only set_uniform's cache: the program's state and GL objects are untouched
            program.__class__ = _UniformCachingProgram
        return program


_SHADOW_FLAGS = (
    pyrender.RenderFlags.SHADOWS_DIRECTIONAL | pyrender.RenderFlags.SHADOWS_SPOT | pyrender.RenderFlags.SHADOWS_POINT
)


class _UnionRenderer(pyrender.Renderer):
    """pyrender.Renderer whose forward pass can OR fragments together instead of depth testing."""

    union_mode: bool = False
    # the spot-light array size of the shader (pyrender's is MAX_N_LIGHTS = 4); a scene's spot pool sets it
    # (``lamps``), and scenes without spot lights keep pyrender's own programs
    max_spot_lights: int = pyrender.constants.MAX_N_LIGHTS

    def __init__(self, viewport_width: int, viewport_height: int, point_size: float = 1.0) -> None:
        super().__init__(viewport_width, viewport_height, point_size)
        self._program_cache = _UniformCachingProgramCache()  # empty either way: no program is compiled yet

    def _compute_max_n_lights(self, flags: int) -> list[int]:
        # pyrender asks once per drawn primitive, each time querying GL_MAX_TEXTURE_IMAGE_UNITS; the answer
        # depends only on the flags, the spot limit and that context constant: computed once per pair
        cache = self.__dict__.setdefault("_max_n_lights", {})
        key = (int(flags), self.max_spot_lights)
        if key not in cache:
            limits = super()._compute_max_n_lights(flags)
            limits[1] = max(limits[1], self.max_spot_lights)
            cache[key] = tuple(limits)
        return list(cache[key])

    def render(self, scene: pyrender.Scene, flags: int, seg_node_map: dict | None = None):
        self._light_matrices: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # this render's, per light node
        self._lit_programs: set[int] = set()  # programs whose light uniforms this render has set
        # pyrender asks each node's world pose several times per pass (sorting, drawing, lighting), each time
        # multiplying down the node's path; no pose changes within one render, so each is computed once (the
        # same matrix: pyrender only reads the poses it gets)
        uncached, poses = scene.get_pose, {}

        def get_pose(node: pyrender.Node) -> np.ndarray:
            pose = poses.get(node)
            if pose is None:
                pose = poses[node] = uncached(node)
            return pose

        scene.get_pose = get_pose
        try:
            return super().render(scene, flags, seg_node_map=seg_node_map)
        finally:
            del scene.get_pose

    def _bind_lighting(self, scene: pyrender.Scene, program: ShaderProgram, node: pyrender.Node, flags: int) -> None:
        # pyrender sets every light's uniforms for every drawn primitive. Within one render the lights do not
        # change, and a program keeps its uniforms' values, so once a program has them the calls for the next
        # primitives would set the same values: they are skipped, unless the light set depends on the node
        # (more lights of a type than the shader takes: pyrender picks the nearest to each node) or shadow maps
        # are bound (texture units are reset after every primitive).
        limits = self._compute_max_n_lights(flags)
        same_for_every_node = not (flags & _SHADOW_FLAGS) and (
            len(scene.directional_light_nodes) <= limits[0]
            and len(scene.spot_light_nodes) <= limits[1]
            and len(scene.point_light_nodes) <= limits[2]
        )
        lit = self.__dict__.setdefault("_lit_programs", set())
        if same_for_every_node and id(program) in lit:
            return
        super()._bind_lighting(scene, program, node, flags)
        if same_for_every_node:
            lit.add(id(program))

    def _get_primitive_program(self, primitive: object, flags: int, program_flags: int) -> ShaderProgram:
        # pyrender works out every drawn primitive's shader (names, defines, a cache look-up through file paths)
        # in every pass, from the flags, the spot limit and the primitive's own buffers and material, which never
        # change once it is built: the answer is kept on the primitive (and goes with it) per flags and limit
        programs = primitive.__dict__.setdefault("_programs", {})
        key = (int(flags), int(program_flags), self.max_spot_lights)
        program = programs.get(key)
        if program is None or not program._in_context():
            program = programs[key] = super()._get_primitive_program(primitive, flags, program_flags)
        return program

    def _sorted_mesh_nodes(self, scene: pyrender.Scene) -> list:
        # pyrender sorts every mesh node by its distance to the camera in every pass; the passes of one frame
        # (lit, segmentation, union) see the same poses, so a world that counts its pose changes
        # (``compile._World.pose_version``) is sorted once per count: the same order, once instead of 4 times
        version = getattr(scene, "pose_version", None)
        if version is None:
            return super()._sorted_mesh_nodes(scene)
        cached = self.__dict__.get("_sorted_nodes")
        if cached is None or cached[0] is not scene or cached[1] != version:
            cached = self._sorted_nodes = (scene, version, super()._sorted_mesh_nodes(scene))
        return list(cached[2])

    def _get_light_cam_matrices(self, scene: pyrender.Scene, light_node: pyrender.Node, flags: int):
        # pyrender asks for a shadowed light's view and projection once per drawn primitive, each time
        # inverting a 4x4 and walking every node for the scene's bounds: with the sun's shadows on, that
        # tripled a street frame (265 primitives). They are fixed within one render: compute them once.
        cache = self.__dict__.setdefault("_light_matrices", {})
        key = id(light_node)
        if key not in cache:
            if isinstance(light_node.light, pyrender.DirectionalLight):
                cache[key] = fitted_sun_matrices(scene.get_pose(light_node), scene.bounds)
            else:
                cache[key] = super()._get_light_cam_matrices(scene, light_node, flags)
        return cache[key]

    def _configure_shadow_mapping_viewport(self, light, flags: int) -> None:
        super()._configure_shadow_mapping_viewport(light, flags)
        # slope-scaled depth offset of the shadow casters (the standard cure for shadow acne): faces at a grazing
        # angle to the sun span a depth range within one texel that the shader's constant bias cannot cover
        GL.glEnable(GL.GL_POLYGON_OFFSET_FILL)
        GL.glPolygonOffset(SHADOW_OFFSET_FACTOR, SHADOW_OFFSET_UNITS)

    def _configure_forward_pass_viewport(self, flags: int) -> None:
        GL.glDisable(GL.GL_POLYGON_OFFSET_FILL)
        # pyrender sets the depth test here on every forward pass, so this is the hook that runs
        # after it and before any draw call; glClear ignores the logic op, so the clear still zeroes.
        super()._configure_forward_pass_viewport(flags)
        if self.union_mode:
            GL.glDisable(GL.GL_DEPTH_TEST)
            GL.glEnable(GL.GL_COLOR_LOGIC_OP)
            GL.glLogicOp(GL.GL_OR)
        else:
            GL.glDisable(GL.GL_COLOR_LOGIC_OP)

    def _read_main_framebuffer(self, scene: pyrender.Scene, flags: int):
        if not self.union_mode:
            return super()._read_main_framebuffer(scene, flags)
        # a union pass is read for its colours only: pyrender's colour blit and read (0.1.45, off macOS), without
        # the depth buffer's blit, read and linearization, which no caller of a union pass looks at
        width, height = self._main_fb_dims[0], self._main_fb_dims[1]
        GL.glBindFramebuffer(GL.GL_READ_FRAMEBUFFER, self._main_fb_ms)
        GL.glBindFramebuffer(GL.GL_DRAW_FRAMEBUFFER, self._main_fb)
        GL.glBlitFramebuffer(0, 0, width, height, 0, 0, width, height, GL.GL_COLOR_BUFFER_BIT, GL.GL_LINEAR)
        GL.glBindFramebuffer(GL.GL_READ_FRAMEBUFFER, self._main_fb)
        buffer = GL.glReadPixels(0, 0, width, height, GL.GL_RGB, GL.GL_UNSIGNED_BYTE)
        color = np.frombuffer(buffer, dtype=np.uint8).reshape((height, width, 3))
        return np.flip(color, axis=0), None

    def _delete_main_framebuffer(self) -> None:
        # pyrender's own deletes the framebuffers in pairs (plain, multisampled); when creating them
        # failed half-way (an image over the GL limit) one of a pair is None and PyOpenGL raises a
        # TypeError from close(). Delete what exists.
        for delete, names in (
            (GL.glDeleteFramebuffers, ("_main_fb", "_main_fb_ms")),
            (GL.glDeleteRenderbuffers, ("_main_cb", "_main_cb_ms", "_main_db", "_main_db_ms")),
        ):
            handles = [getattr(self, n, None) for n in names]
            handles = [h for h in handles if h is not None]
            if handles:
                delete(len(handles), handles)
            for name in names:
                setattr(self, name, None)


SHADOW_OFFSET_FACTOR, SHADOW_OFFSET_UNITS = 4.0, 8.0  # glPolygonOffset of the shadow pass (slope, constant)
SHADOW_MARGIN_M = 1.0  # the sun's shadow box reaches this far past the scene's bounds on every side


def fitted_sun_matrices(light_pose: np.ndarray, bounds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """View and projection (4x4 each) of a directional light's shadow map, fitted to the scene's axis-aligned
    ``bounds`` (2, 3), world metres: an orthographic box along the light (its -z, ``light_pose`` world 4x4) that
    just holds the bounds' corners, SHADOW_MARGIN_M wider on every side.

    pyrender's own box is centred on the scene with half-width and depth range set by the bounds' diagonal s
    (+-s across, 10 s deep); its shader's depth bias (1e-4 to 1e-3 of the depth range) then spans 0.25 to 2.5 m
    over a 250 m street, so a car or a barrier cast no shadow on the road. Fitted, the depth range is the
    street's extent along the light and the map's texels cover only its footprint."""
    rotation = np.asarray(light_pose, dtype=np.float64)[:3, :3]
    lo, hi = np.asarray(bounds, dtype=np.float64)
    corners = np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])])
    centre = (lo + hi) / 2.0
    local = (corners - centre) @ rotation  # light frame: x, y across the light, z against it
    xmag = float(np.abs(local[:, 0]).max()) + SHADOW_MARGIN_M
    ymag = float(np.abs(local[:, 1]).max()) + SHADOW_MARGIN_M
    back = float(local[:, 2].max()) + SHADOW_MARGIN_M  # the eye sits this far toward the light from the centre
    depth = back - float(local[:, 2].min()) + SHADOW_MARGIN_M
    pose = np.eye(4)
    pose[:3, :3] = rotation
    pose[:3, 3] = centre + rotation[:, 2] * back
    camera = pyrender.OrthographicCamera(xmag=xmag, ymag=ymag, znear=0.5 * SHADOW_MARGIN_M, zfar=depth)
    view = np.eye(4)
    view[:3, :3] = rotation.T
    view[:3, 3] = -rotation.T @ pose[:3, 3]
    return view, camera.get_projection_matrix()


class OffscreenRenderer(pyrender.OffscreenRenderer):
    """One headless GL context (EGL by default) and its renderer, able to render union passes."""

    def _create(self) -> None:
        super()._create()
        # pyrender.Renderer.__init__ makes no GL calls and the fresh one owns no GL objects yet, so
        # swapping it for the subclass right after context creation is safe.
        self._renderer = _UnionRenderer(self.viewport_width, self.viewport_height)

    def set_spot_light_limit(self, count: int) -> None:
        """Let the shader take ``count`` spot lights (at least pyrender's MAX_N_LIGHTS); a new limit compiles
        its own shader program once (pyrender caches programs by their defines)."""
        self._renderer.max_spot_lights = max(int(count), pyrender.constants.MAX_N_LIGHTS)

    def max_image_size(self) -> tuple[int, int]:
        """The largest (width, height) in pixels this GL context renders: the smaller of
        GL_MAX_RENDERBUFFER_SIZE (every pass renders into renderbuffers) and GL_MAX_VIEWPORT_DIMS."""
        self._platform.make_current()
        renderbuffer = int(GL.glGetIntegerv(GL.GL_MAX_RENDERBUFFER_SIZE))
        viewport = [int(v) for v in np.ravel(GL.glGetIntegerv(GL.GL_MAX_VIEWPORT_DIMS))]
        return min(renderbuffer, viewport[0]), min(renderbuffer, viewport[1])

    def delete(self) -> None:
        """Free this renderer's GL objects and its context. Safe to call twice.

        pyrender's own ``delete`` ends with ``eglTerminate`` on the EGL display, which every context
        of the process shares, so closing one backend would break every other live one; here only
        this renderer's context is destroyed and the display stays initialized.
        """
        if self._renderer is None:
            return
        self._platform.make_current()
        self._renderer.delete()
        _release_context(self._platform)
        self._renderer = None
        self._platform = None

    def render_segmentation(self, scene: pyrender.Scene, node_colors: dict) -> tuple[np.ndarray, np.ndarray]:
        """Segmentation pass drawing only the nodes in ``node_colors`` (node -> RGB bytes), depth-tested.

        Returns ``(color, depth)``: (H, W, 3) uint8 and (H, W) float32 planar depth in metres (0 where
        nothing was drawn), both sampled at pixel centres.
        """
        color, depth = self.render(scene, pyrender.RenderFlags.SEG, node_colors)
        return np.array(color), np.array(depth)

    def render_union(self, scene: pyrender.Scene, node_colors: dict) -> np.ndarray:
        """Union pass: (H, W, 3) uint8, the bitwise OR of the colours of every listed node covering
        each pixel centre, ignoring occlusion."""
        renderer: _UnionRenderer = self._renderer
        renderer.union_mode = True
        try:
            color, _ = self.render(scene, pyrender.RenderFlags.SEG, node_colors)
        finally:
            renderer.union_mode = False
        return np.array(color)


def _release_context(platform: object) -> None:
    """Destroy a pyrender platform's GL context without terminating a shared EGL display."""
    if not isinstance(platform, egl.EGLPlatform):
        platform.delete_context()
        return
    display, context = platform._egl_display, platform._egl_context
    if display is None or context is None:
        return
    # Release it from this thread first: a current context is only destroyed once it is released.
    EGL.eglMakeCurrent(display, EGL.EGL_NO_SURFACE, EGL.EGL_NO_SURFACE, EGL.EGL_NO_CONTEXT)
    EGL.eglDestroyContext(display, context)
    # The platform's __del__ calls its delete_context, which would terminate the display: forget both.
    platform._egl_context = None
    platform._egl_display = None
