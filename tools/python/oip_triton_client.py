"""The Open Inference Protocol routes as a KServe/Triton user calls them, with tritonclient.http.

Run by tools/test/triton-client.test.ts against a live server:
    OIP_URL=127.0.0.1:PORT OIP_AUTH='alice:wonderland' OIP_MODELS=M1,M2 python oip_triton_client.py
"""
import os
import unittest

import numpy as np
import tritonclient.http as httpclient
from tritonclient.http.auth import BasicAuth
from tritonclient.utils import InferenceServerException

URL = os.environ["OIP_URL"]
USER, PASSWORD = os.environ["OIP_AUTH"].split(":", 1)
MODELS = os.environ["OIP_MODELS"].split(",")
ROWS = np.array([[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3], [5.9, 3.0, 4.2, 1.5]])


def client():
    c = httpclient.InferenceServerClient(url=URL)
    c.register_plugin(BasicAuth(USER, PASSWORD))
    return c


def tensor(rows, datatype, binary=True, name="input"):
    data = np.asarray(rows, dtype=np.float32 if datatype == "FP32" else np.float64)
    t = httpclient.InferInput(name, list(data.shape), datatype)
    t.set_data_from_numpy(data, binary_data=binary)
    return t


def labels_of(result):
    return [v.decode() if isinstance(v, bytes) else v for v in result.as_numpy("label").tolist()]


class ServerTest(unittest.TestCase):
    def test_live_ready_and_metadata_list_the_binary_extension(self):
        c = client()
        self.assertTrue(c.is_server_live())
        self.assertTrue(c.is_server_ready())
        meta = c.get_server_metadata()
        self.assertEqual(meta["name"], "mlship")
        self.assertIn("binary_tensor_data", meta["extensions"])


class ModelTest(unittest.TestCase):
    def test_each_model_is_ready_and_describes_its_tensors(self):
        c = client()
        for name in MODELS:
            with self.subTest(model=name):
                self.assertTrue(c.is_model_ready(name))
                meta = c.get_model_metadata(name)
                self.assertEqual(meta["name"], name)
                self.assertEqual([o["name"] for o in meta["outputs"]], ["label", "probabilities"])
                features = meta["inputs"][0]["shape"][1]
                self.assertEqual(meta["inputs"][0]["shape"], [-1, features])
                version = meta["versions"][0]
                self.assertTrue(c.is_model_ready(name, model_version=version))

    def test_infer_fp32_and_fp64_one_row_and_a_batch_in_binary_and_json(self):
        c = client()
        name = MODELS[0]
        expected = labels_of(c.infer(name, [tensor(ROWS, "FP64", binary=False)], outputs=[httpclient.InferRequestedOutput("label", binary_data=False)]))
        for datatype in ("FP32", "FP64"):
            for binary in (True, False):
                for rows, wanted in ((ROWS[:1], expected[:1]), (ROWS, expected)):
                    with self.subTest(datatype=datatype, binary=binary, rows=len(rows)):
                        result = c.infer(name, [tensor(rows, datatype, binary)])
                        self.assertEqual(labels_of(result), wanted)
                        probabilities = result.as_numpy("probabilities")
                        self.assertEqual(probabilities.dtype, np.float64)
                        self.assertEqual(probabilities.shape[0], len(rows))
                        np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-12)

    def test_requested_outputs_come_back_alone_in_the_requested_encoding(self):
        c = client()
        for binary in (True, False):
            with self.subTest(binary=binary):
                result = c.infer(MODELS[0], [tensor(ROWS, "FP32")], outputs=[httpclient.InferRequestedOutput("probabilities", binary_data=binary)], request_id="r-7")
                response = result.get_response()
                self.assertEqual(response["id"], "r-7")
                self.assertEqual([o["name"] for o in response["outputs"]], ["probabilities"])
                self.assertEqual(result.as_numpy("probabilities").shape, (3, 3))
                self.assertIsNone(result.as_numpy("label"))

    def test_an_input_named_like_the_kserve_examples_is_accepted(self):
        result = client().infer(MODELS[0], [tensor(ROWS[:1], "FP32", name="input-0")])
        self.assertEqual(len(labels_of(result)), 1)


class ErrorTest(unittest.TestCase):
    def assert_refused(self, status, message, call):
        with self.assertRaises(InferenceServerException) as caught:
            call()
        self.assertEqual(caught.exception.status(), str(status))
        self.assertIn(message, caught.exception.message())

    def test_unknown_model(self):
        self.assert_refused(404, 'unknown model "M9"', lambda: client().infer("M9", [tensor(ROWS, "FP32")]))
        self.assert_refused(404, 'unknown model "M9"', lambda: client().get_model_metadata("M9"))

    def test_wrong_shape(self):
        self.assert_refused(400, "input shape must be [n, 4]", lambda: client().infer(MODELS[0], [tensor(ROWS[:, :3], "FP32")]))

    def test_wrong_datatype(self):
        ints = httpclient.InferInput("input", [1, 4], "INT32")
        ints.set_data_from_numpy(np.array([[5, 3, 1, 0]], dtype=np.int32))
        self.assert_refused(400, "datatype must be FP32 or FP64", lambda: client().infer(MODELS[0], [ints]))

    def test_no_credentials(self):
        plain = httpclient.InferenceServerClient(url=URL)
        self.assert_refused(401, "", lambda: plain.infer(MODELS[0], [tensor(ROWS, "FP32")]))


if __name__ == "__main__":
    unittest.main(verbosity=2)
