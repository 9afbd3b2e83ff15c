// SPDX-License-Identifier: BSL-1.0
// asio_fswatch, private to src/: an intrusive doubly linked FIFO of file operations, through
// file_op::prev and file_op::next. An operation is in at most one queue at a time.
#ifndef ASIO_FSWATCH_SRC_FILE_OP_QUEUE_HPP
#define ASIO_FSWATCH_SRC_FILE_OP_QUEUE_HPP

#include <asio_fswatch/detail/file_op.hpp>

#include <cstddef>
#include <cstdint>

namespace asio_fswatch::detail {

class file_op_queue {
public:
  bool empty() const noexcept { return head_ == nullptr; }
  file_op* front() const noexcept { return head_; }

  void push(file_op* op) noexcept {
    op->next = nullptr;
    op->prev = tail_;
    (tail_ ? tail_->next : head_) = op;
    tail_ = op;
  }

  void push_front(file_op* op) noexcept {
    op->prev = nullptr;
    op->next = head_;
    (head_ ? head_->prev : tail_) = op;
    head_ = op;
  }

  /// Moves every operation of `other` to the back of this queue.
  void splice(file_op_queue& other) noexcept {
    while (file_op* op = other.pop())
      push(op);
  }

  file_op* pop() noexcept {
    file_op* op = head_;
    if (op)
      unlink(op);
    return op;
  }

  void unlink(file_op* op) noexcept {
    (op->prev ? op->prev->next : head_) = op->next;
    (op->next ? op->next->prev : tail_) = op->prev;
    op->prev = op->next = nullptr;
  }

  /// Moves the operations for which `pred(op)` holds to the back of `out`, in order.
  template <typename Pred>
  void move_if(file_op_queue& out, Pred pred) noexcept {
    for (file_op* op = head_; op;) {
      file_op* next = op->next;
      if (pred(op)) {
        unlink(op);
        out.push(op);
      }
      op = next;
    }
  }

  /// True when the queue holds `n` operations or fewer (looks at n + 1 at most).
  bool holds_at_most(std::size_t n) const noexcept {
    const file_op* op = head_;
    for (std::size_t i = 0; i < n && op; ++i)
      op = op->next;
    return op == nullptr;
  }

  file_op* find(std::uint64_t id) const noexcept {
    for (file_op* op = head_; op; op = op->next)
      if (op->id == id)
        return op;
    return nullptr;
  }

private:
  file_op* head_ = nullptr;
  file_op* tail_ = nullptr;
};

} // namespace asio_fswatch::detail

#endif
